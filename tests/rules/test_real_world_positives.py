"""True positives met in the training-code corpus (benchmarks/corpus), reduced to the form
that the analysis had to learn to follow. Each names the mechanism it exercises."""

from __future__ import annotations

from tests.helpers import assert_findings


def test_a_lowercase_model_class_of_the_file_is_a_model() -> None:
    """A course script's ``class neuralNetwork(nn.Module)``: classes of the file are
    models whatever their case (names from elsewhere still need a capital)."""
    assert_findings("""
        import torch.nn as nn

        class neuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer1 = nn.Sequential(nn.Linear(784, 300), nn.ReLU(True))
                self.layer2 = nn.Sequential(nn.Linear(300, 10), nn.ReLU(True))

            def forward(self, x):
                x = self.layer1(x)
                x = self.layer2(x)
                return x

        model = neuralNetwork()
        if use_gpu:
            model = model.cuda()
        criterion = nn.CrossEntropyLoss()
        for img, label in train_loader:
            out = model(img)
            loss = criterion(out, label)  # expect: NN107
    """, "NN107")


def test_a_torchvision_model_with_dropout_evaluated_in_training_mode() -> None:
    """A Kaggle notebook fine-tunes ``squeezenet1_1``: its dropout lives in torchvision, so
    the knowledge tables say which builders hold dropout or batch norm (ViT holds neither
    with its default rates, and stays silent)."""
    assert_findings("""
        import torch
        from torchvision import models

        model = models.squeezenet1_1(pretrained=True)
        vit = models.vit_b_16()

        def evaluate(loader):
            with torch.no_grad():  # expect: NN201
                return [model(x) for x, _ in loader]

        def embed(loader):
            with torch.no_grad():
                return [vit(x) for x, _ in loader]
    """, "NN201")
