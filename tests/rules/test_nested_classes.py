"""Classes defined inside a function (``def get_model(): class Net(nn.Module): ...``, as
whole books of notebooks write them): a model of the file like a top-level class, seen
where its name is bound, i.e. in that function's flow, and summarised for the project
index under ``module.get_model.<locals>.Net``."""

from __future__ import annotations

from pathlib import Path

from lintnn.config import Settings
from lintnn.static.engine.run import Engine
from tests.helpers import assert_findings, lint

GET_MODEL = """
    import torch
    import torch.nn as nn
    from torch.optim import Adam

    def get_model():
        class neuralnet(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(784, 100, bias=False)
                {layer}
                self.out = nn.Linear(100, 10)

            def forward(self, x):
                return self.out(torch.relu(self.norm(self.fc(x))))

        model = neuralnet().to("cpu")
        loss_fn = nn.CrossEntropyLoss()
        optimizer = Adam(model.parameters(), lr=1e-3)
        return model, loss_fn, optimizer

    def accuracy(x, y, model):{eval}
        with torch.no_grad():{expect}
            prediction = model(x)
        return (prediction.argmax(-1) == y).tolist()

    model, loss_fn, optimizer = get_model()
    for epoch in range(10):
        for x, y in trn_dl:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        for x, y in val_dl:
            acc = accuracy(x, y, model)
"""

BATCHNORM = "self.norm = nn.BatchNorm1d(100)"
IDENTITY = "self.norm = nn.Identity()"


def _get_model(layer: str, evaluated: bool, expected: bool) -> str:
    """The finding is reported at the no_grad block."""
    return GET_MODEL.format(layer=layer, eval="\n        model.eval()" if evaluated else "",
                            expect="  # expect: NN201" if expected else "")


def test_a_model_class_defined_in_its_factory_is_judged() -> None:
    """The batch-norm model that ``get_model()`` builds from its own nested class and
    returns in a tuple runs in training mode under ``no_grad`` in ``accuracy``."""
    assert_findings(_get_model(BATCHNORM, evaluated=False, expected=True), "NN201")


def test_a_nested_model_without_batch_norm_or_put_in_eval_mode_is_not() -> None:
    assert_findings(_get_model(IDENTITY, evaluated=False, expected=False), "NN201")
    assert_findings(_get_model(BATCHNORM, evaluated=True, expected=False), "NN201")


def test_the_softmax_of_a_nested_class_reaches_the_loss() -> None:
    assert_findings("""
        import torch
        import torch.nn as nn

        def main(loader):
            class Classifier(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.head = nn.Linear(8, 3)

                def forward(self, x):
                    return torch.softmax(self.head(x), dim=-1)

            net = Classifier()
            criterion = nn.CrossEntropyLoss()
            for x, y in loader:
                loss = criterion(net(x), y)  # expect: NN101
                loss.backward()
        """, "NN101")


def test_a_nested_class_is_seen_only_where_its_name_is_bound() -> None:
    """Outside its function, the name is not the nested class (it is another binding, or
    a NameError): a module-level ``Classifier`` of that name is not confused with it."""
    assert_findings("""
        import torch
        import torch.nn as nn

        def build():
            class Classifier(nn.Module):
                def forward(self, x):
                    return torch.softmax(x, dim=-1)

            return Classifier()

        from mylib import Classifier

        net = Classifier()
        criterion = nn.CrossEntropyLoss()
        for x, y in loader:
            loss = criterion(net(x), y)
            loss.backward()
        """, "NN101")


def test_a_notebook_that_redefines_the_factory_uses_the_last_definition() -> None:
    """Two cells define ``get_model`` with a nested ``neuralnet`` each (numbered apart in
    the project index): the model built after the second is the second's, with batch
    norm; the one built after the first has none."""
    first = _get_model(IDENTITY, evaluated=False, expected=False)
    second = _get_model(BATCHNORM, evaluated=False, expected=True)
    imports, first_body = first.split("def get_model", 1)
    _, second_body = second.split("def get_model", 1)
    source = imports + "def get_model" + first_body + "\n    def get_model" + second_body
    found = [d for d in lint(source) if d.code == "NN201"]
    second_accuracy = source.splitlines().index(
        "        with torch.no_grad():  # expect: NN201") + 1
    assert [d.location.row for d in found] == [second_accuracy]


def test_the_index_summarises_nested_classes_under_their_qualified_name(tmp_path: Path) -> None:
    path = tmp_path / "models.py"
    path.write_text(
        "import torch.nn as nn\n\n"
        "def get_model():\n"
        "    class Net(nn.Module):\n"
        "        def __init__(self):\n"
        "            super().__init__()\n"
        "            self.drop = nn.Dropout(0.5)\n"
        "    return Net()\n\n"
        "def other():\n"
        "    class Net(nn.Module):\n"
        "        pass\n"
        "    return Net()\n", encoding="utf-8")
    engine = Engine(Settings(root=tmp_path), use_cache=False, jobs=1)
    result = engine.check_source(path, path.read_text(encoding="utf-8"))
    classes = {c.qualname: c for c in result.results[str(path)].classes}
    assert set(classes) == {"models.get_model.<locals>.Net", "models.other.<locals>.Net"}
    assert "dropout" in " ".join(classes["models.get_model.<locals>.Net"].contains)
    assert not classes["models.other.<locals>.Net"].contains
