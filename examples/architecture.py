"""A small CNN with the architecture mistakes lintnn finds.

Run ``lintnn check examples/`` to see them.
"""

import torch.nn as nn


class SmallCNN(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 64, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(64, 128)
        self.bn = nn.BatchNorm1d(128)
        self.neck = nn.Sequential(
            nn.Dropout(0.3),
            nn.BatchNorm1d(128),
            nn.ReLU(),
        )
        self.proj = nn.Linear(128, 128)
        self.head = nn.Linear(128, classes)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)

    def forward(self, x):
        x = self.features(x).flatten(1)
        x = self.bn(self.fc(x))
        return self.head(self.proj(self.neck(x)))


def train_step(model, images, labels, optimizer):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()
