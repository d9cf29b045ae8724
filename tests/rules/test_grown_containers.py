"""NN401 / NN403 on containers grown step by step: ``add_module``, ``append`` to a list
spread into a Sequential (also through a helper), keras ``model.add``."""

from tests.helpers import assert_findings


def test_nn403_add_module_under_a_flag() -> None:
    assert_findings("""
        from torch import nn

        class Net(nn.Module):
            def __init__(self, batch_norm=False, linear=True):
                super().__init__()
                self.classifier = nn.Sequential()
                self.classifier.add_module("flat", nn.Flatten())
                if linear:
                    self.classifier.add_module("fc", nn.Linear(256, 120))  # expect: NN403
                    if batch_norm:
                        self.classifier.add_module("bn", nn.BatchNorm1d(120))
                else:
                    self.classifier.add_module("conv", nn.Conv2d(16, 120, 4))  # expect: NN403
                    if batch_norm:
                        self.classifier.add_module("bn", nn.BatchNorm2d(120))
                self.classifier.add_module("relu", nn.ReLU())

            def forward(self, x):
                return self.classifier(x)
    """, "NN403")


def test_nn403_add_module_negatives() -> None:
    assert_findings("""
        from torch import nn

        class Net(nn.Module):
            def __init__(self, batch_norm=False, act=True):
                super().__init__()
                seq = nn.Sequential()
                seq.add_module("fc", nn.Linear(256, 120))
                seq.add_module("relu", nn.ReLU())  # an activation between
                seq.add_module("bn", nn.BatchNorm1d(120))
                self.a = seq
                other = nn.Sequential()
                if not batch_norm:
                    other.add_module("fc", nn.Linear(8, 8))  # never with the BatchNorm
                if batch_norm:
                    other.add_module("bn", nn.BatchNorm1d(8))
                self.b = other
                maybe = nn.Sequential(nn.Linear(8, 8))
                if act:
                    maybe.add_module("relu", nn.ReLU())  # may run between the two
                maybe.add_module("bn", nn.BatchNorm1d(8))
                self.c = maybe
                shuffled = nn.Sequential()
                shuffled.add_module("fc", nn.Linear(8, 8))
                reorder(shuffled)  # handed elsewhere: what it holds is unknown
                shuffled.add_module("bn", nn.BatchNorm1d(8))
                no_bias = nn.Sequential()
                no_bias.add_module("fc", nn.Linear(8, 8, bias=False))
                no_bias.add_module("bn", nn.BatchNorm1d(8))
    """, "NN403")


def test_nn403_add_module_under_built_names_in_loops_then_stored() -> None:
    assert_findings("""
        import torch.nn as nn

        class Generator(nn.Module):
            def __init__(self, z_dim, cngf, channel, input_size, n_extra_layers=0):
                super().__init__()
                main = nn.Sequential()
                main.add_module(
                    "initial_convt-{}-{}".format(z_dim, cngf),
                    nn.ConvTranspose2d(z_dim, cngf, 4, 1, 0),  # expect: NN403
                )
                main.add_module("initial_BatchNorm-{}".format(cngf), nn.BatchNorm2d(cngf))
                main.add_module("initial_ReLU-{}".format(cngf), nn.ReLU(True))
                csize = 4
                while csize < input_size // 2:
                    main.add_module(f"pyramid_convt-{cngf}",
                                    nn.ConvTranspose2d(cngf, cngf // 2, 4, 2, 1))  # expect: NN403
                    main.add_module(f"pyramid_BatchNorm-{cngf // 2}", nn.BatchNorm2d(cngf // 2))
                    main.add_module("pyramid_ReLU-" + str(cngf), nn.ReLU(True))
                    csize *= 2
                    cngf //= 2
                for _ in range(n_extra_layers):
                    main.add_module("extra-%d" % cngf, nn.Conv2d(cngf, cngf, 3))  # expect: NN403
                    main.add_module("extra_BatchNorm-%d" % cngf, nn.BatchNorm2d(cngf))
                    main.add_module("extra_ReLU-%d" % cngf, nn.ReLU(True))
                main.add_module("last_convt", nn.ConvTranspose2d(cngf, channel, 4, 2, 1))
                main.add_module("last_tanh", nn.Tanh())
                self.main = main

            def forward(self, x):
                return self.main(x)
    """, "NN403")


def test_nn403_add_module_under_built_names_negatives() -> None:
    assert_findings("""
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, c, n, bn=True):
                super().__init__()
                arms = nn.Sequential()
                for i in range(n):
                    if bn:
                        arms.add_module("bn-{}".format(i), nn.BatchNorm2d(c))
                    else:
                        arms.add_module("conv-{}".format(i), nn.Conv2d(c, c, 3))
                self.arms = arms
                unknown = nn.Sequential()
                unknown.add_module("conv-{}".format(c), nn.Conv2d(c, c, 3))
                unknown.add_module("block-{}".format(c), make_block(c))  # what it adds is unknown
                unknown.add_module("bn-{}".format(c), nn.BatchNorm2d(c))
                self.unknown = unknown
                no_bias = nn.Sequential()
                for i in range(n):
                    no_bias.add_module(f"conv-{i}", nn.Conv2d(c, c, 3, bias=False))
                    no_bias.add_module(f"bn-{i}", nn.BatchNorm2d(c))
                self.no_bias = no_bias
                early = nn.Sequential()
                self.early = early  # stored before it is grown, then grown under both names
                early.add_module("conv-{}".format(c), nn.Conv2d(c, c, 3))
                self.early.insert(0, nn.Identity())
                early.add_module("bn-{}".format(c), nn.BatchNorm2d(c))
                shared = nn.Sequential()
                shared.add_module("conv-{}".format(c), nn.Conv2d(c, c, 3))
                self.shared = shared
                self.shared.add_module("relu", nn.ReLU())  # grown under its other name too
                shared.add_module("bn-{}".format(c), nn.BatchNorm2d(c))
    """, "NN403")


def test_nn403_list_appended_in_a_loop_and_spread() -> None:
    assert_findings("""
        from torch import nn

        def mlp(sizes):
            layers = []
            for n_in, n_out in zip(sizes, sizes[1:]):
                layers.append(nn.Linear(n_in, n_out))  # expect: NN403
                layers.append(nn.BatchNorm1d(n_out))
                layers.append(nn.ReLU())
            return nn.Sequential(*layers)

        def wrapped_around(sizes):
            layers = [nn.BatchNorm1d(4)]
            for n in sizes:
                layers.append(nn.Linear(n, n))  # the next turn's BatchNorm? not in this list
            return layers  # never spread into a Sequential

        def across_turns(sizes):
            layers = [nn.Linear(4, 4)]
            for i, n in enumerate(sizes):
                if i % 2:
                    layers.append(nn.Linear(n, n))
                else:
                    layers.append(nn.BatchNorm1d(n))  # after the previous turn's layer
            return nn.Sequential(*layers)
    """, "NN403")


def test_nn401_block_helper_spread_into_sequential() -> None:
    assert_findings("""
        from torch import nn

        class Discriminator(nn.Module):
            def __init__(self):
                super().__init__()

                def block(n_in, n_out, bn=True):
                    layers = [nn.Conv2d(n_in, n_out, 3), nn.LeakyReLU(0.2), nn.Dropout2d(0.25)]
                    if bn:
                        layers.append(nn.BatchNorm2d(n_out, 0.8))  # expect: NN401
                    return layers

                def fine(n_in, n_out):
                    layers = [nn.Conv2d(n_in, n_out, 3), nn.Dropout2d(0.25)]
                    layers.append(nn.LeakyReLU(0.2))
                    layers.append(nn.BatchNorm2d(n_out))
                    return layers

                def unused(n):
                    layers = [nn.Dropout(0.5)]
                    layers.append(nn.BatchNorm1d(n))
                    return layers  # only ever put in a ModuleList

                self.model = nn.Sequential(*block(1, 16, bn=False), *block(16, 32), *fine(32, 64))
                self.heads = nn.ModuleList(unused(8))
    """, "NN401")


def test_nn403_layers_kept_in_lists_applied_in_a_loop() -> None:
    assert_findings("""
        from torch import nn

        class Net(nn.Module):
            def __init__(self, batch_normalization=False):
                super().__init__()
                self.do_bn = batch_normalization
                self.fcs = []
                self.bns = []
                for i in range(4):
                    fc = nn.Linear(10, 10)  # expect: NN403
                    setattr(self, "fc%i" % i, fc)
                    self.fcs.append(fc)
                    if self.do_bn:
                        bn = nn.BatchNorm1d(10)
                        setattr(self, "bn%i" % i, bn)
                        self.bns.append(bn)

            def forward(self, x):
                for i in range(4):
                    x = self.fcs[i](x)
                    if self.do_bn:
                        x = self.bns[i](x)
                    x = torch.tanh(x)
                return x
    """, "NN403")


def test_nn403_lists_of_layers_negatives() -> None:
    assert_findings("""
        from torch import nn

        class OtherBranch(nn.Module):
            def __init__(self):
                super().__init__()
                self.fcs = nn.ModuleList()
                self.bns = nn.ModuleList()
                for i in range(4):
                    self.fcs.append(nn.Linear(10, 10))
                    self.bns.append(nn.BatchNorm1d(10))

            def forward(self, x):
                for i in range(4):
                    h = self.fcs[i](x)
                    x = self.bns[i](x) + h  # the BatchNorm normalizes the other branch
                return x

        class Mixed(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = []
                self.layers.append(nn.Linear(10, 10, bias=False))
                self.layers.append(nn.Linear(10, 10))  # not all alike: unknown
                self.bn = nn.BatchNorm1d(10)

            def forward(self, x):
                return self.bn(self.layers[1](x))

        class Replaced(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = []
                self.layers.append(nn.Linear(10, 10))
                self.layers[0] = nn.Identity()  # the list changes: unknown
                self.bn = nn.BatchNorm1d(10)

            def forward(self, x):
                return self.bn(self.layers[0](x))

        class Activated(nn.Module):
            def __init__(self):
                super().__init__()
                self.fcs = []
                self.bns = []
                for i in range(4):
                    self.fcs.append(nn.Linear(10, 10))
                    self.bns.append(nn.BatchNorm1d(10))

            def forward(self, x):
                for i in range(4):
                    x = torch.relu(self.fcs[i](x))
                    x = self.bns[i](x)
                return x
    """, "NN403")


def test_an_edit_of_a_block_helper_rechecks_where_it_is_spread() -> None:
    """A top-level block helper is judged by the Sequential that spreads it (another
    top-level statement): the per-statement cache must follow an edit of either."""
    import textwrap
    from pathlib import Path

    from lintnn.config import Settings
    from lintnn.static.engine.run import Engine

    text = textwrap.dedent("""
        from torch import nn

        def block(n_in, n_out):
            layers = [nn.Linear(n_in, n_out), nn.Dropout(0.5)]
            layers.append(nn.BatchNorm1d(n_out))
            return layers

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(*block(8, 8))
    """)
    full = Engine(Settings(), use_cache=False, jobs=1)
    incremental = Engine(Settings(), use_cache=False, jobs=1, incremental=True)
    path = Path("model_buffer.py")

    def flagged(source: str) -> bool:
        got = incremental.check_source(path, source).diagnostics
        assert got == full.check_source(path, source).diagnostics
        return any(d.code == "NN401" for d in got)

    assert flagged(text)
    assert not flagged(text.replace("nn.Sequential(*block(8, 8))", "nn.ModuleList(block(8, 8))"))
    assert flagged(text)


def test_nn401_keras_batchnorm_added_under_a_flag() -> None:
    assert_findings("""
        import keras

        def build(wide=False):
            model = keras.Sequential()
            model.add(keras.layers.Dense(64, activation="relu"))
            model.add(keras.layers.Dropout(0.2))
            if wide:
                model.add(keras.layers.BatchNormalization())  # expect: NN401
            model.add(keras.layers.Dense(10))
            model.compile(optimizer="adam", loss="mse")
            return model
    """, "NN401")


def test_nn403_keras_model_handed_to_calls_that_only_read_it() -> None:
    assert_findings("""
        from keras.layers import Activation, BatchNormalization, Conv2D, Dense
        from keras.models import Sequential
        from keras.utils import plot_model

        def describe(net, title):
            print(title, net.name)
            net.summary()
            print(len(net.layers))

        model = Sequential()
        model.add(Conv2D(32, (3, 3), input_shape=(64, 64, 3)))  # expect: NN403
        print(model)  # a builtin that only reads it
        model.add(BatchNormalization())
        model.add(Activation("relu"))
        model.add(Conv2D(16, (3, 3)))  # expect: NN403
        describe(model, "so far")  # a function of the file that only reads it
        model.add(BatchNormalization())
        model.add(Dense(10, activation="softmax"))
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        plot_model(model, to_file="model.png", show_shapes=True)  # once every layer is added
        history = model.fit(x, y)
        print(model.metrics_names)
    """, "NN403")


def test_nn403_keras_model_handed_to_calls_that_may_grow_it() -> None:
    assert_findings("""
        from keras.layers import Activation, BatchNormalization, Conv2D, Dense
        from keras.models import Sequential
        from keras.utils import plot_model
        from blocks import add_stem

        def add_block(net, width):
            net.add(Activation("relu"))
            net.add(Conv2D(width, (3, 3), use_bias=False))
            return net

        def poke(net):
            net.layers.pop()

        model = Sequential()
        model.add(Conv2D(32, (3, 3)))
        add_block(model, 32)  # adds layers between the two
        model.add(BatchNormalization())

        other = Sequential()
        other.add(Conv2D(32, (3, 3)))
        add_stem(other)  # unknown: it may add layers
        other.add(BatchNormalization())

        third = Sequential()
        third.add(Conv2D(32, (3, 3)))
        poke(third)  # reaches into its layers
        third.add(BatchNormalization())

        sixth = Sequential()
        sixth.add(Conv2D(32, (3, 3)))
        sixth.layers.append(Activation("relu"))  # through its list of layers
        sixth.add(BatchNormalization())

        fourth = Sequential()
        fourth.add(Dense(8))
        fourth = add_block(fourth, 8)  # rebound: not one model any more
        fourth.add(BatchNormalization())

        fifth = Sequential()
        for width in (8, 16):
            fifth.add(Conv2D(width, (3, 3)))
            plot_model(fifth)  # between this turn's conv and the next add
            fifth.add(BatchNormalization())
    """, "NN403")


def test_nn403_list_handed_to_a_call_after_its_appends() -> None:
    assert_findings("""
        import random
        from torch import nn

        def block(width):
            layers = []
            layers.append(nn.Linear(width, width))  # expect: NN403
            print(len(layers))
            layers.append(nn.BatchNorm1d(width))  # a builtin read between: still adjacent
            return nn.Sequential(*layers)

        def shuffled(width):
            layers = []
            layers.append(nn.Linear(width, width))
            layers.append(nn.BatchNorm1d(width))
            random.shuffle(layers)  # a list may be reordered by the call
            return nn.Sequential(*layers)
    """, "NN403")


def test_nn403_list_added_one_by_one_to_a_sequential() -> None:
    assert_findings("""
        from torch import nn

        class Net(nn.Module):
            def __init__(self, dims=(32, 64), batch_norm=False):
                super().__init__()
                self.layers = []
                prev = 1
                for dim in dims:
                    self.layers.append(nn.Conv2d(prev, dim, 3, padding=1))  # expect: NN403
                    if batch_norm:
                        self.layers.append(nn.BatchNorm2d(dim))
                    self.layers.append(nn.ReLU(True))
                    prev = dim
                self.net = nn.Sequential()
                for i, layer in enumerate(self.layers):
                    name = "%s_%02d" % (type(layer).__name__.lower(), i)
                    self.net.add_module(name, layer)

            def forward(self, x):
                return self.net(x)

        def head(width):
            layers = [nn.Linear(width, width)]  # expect: NN403
            layers.append(nn.BatchNorm1d(width))
            seq = nn.Sequential()
            for layer in layers:
                seq.append(layer)
            return seq
    """, "NN403")


def test_nn403_list_added_one_by_one_negatives() -> None:
    assert_findings("""
        from torch import nn

        def reordered(width):
            layers = [nn.Linear(width, width), nn.BatchNorm1d(width)]
            layers.reverse()  # the BatchNorm now comes first
            seq = nn.Sequential()
            for layer in layers:
                seq.append(layer)
            return seq

        def walked_backwards(width):
            layers = [nn.Linear(width, width), nn.BatchNorm1d(width)]
            seq = nn.Sequential()
            for layer in reversed(layers):
                seq.append(layer)
            return seq

        def filtered(width):
            layers = [nn.Linear(width, width), nn.BatchNorm1d(width)]
            seq = nn.Sequential()
            for i, layer in enumerate(layers):
                if not isinstance(layer, nn.BatchNorm1d):
                    seq.add_module(str(i), layer)
            return seq

        def skipped(width):
            layers = [nn.Linear(width, width), nn.BatchNorm1d(width)]
            seq = nn.Sequential()
            for layer in layers:
                if layer is None:
                    continue
                seq.append(layer)
            return seq

        def interleaved(width):
            layers = [nn.Linear(width, width), nn.BatchNorm1d(width)]
            seq = nn.Sequential()
            for i, layer in enumerate(layers):
                seq.add_module(f"layer{i}", layer)
                seq.add_module(f"act{i}", nn.ReLU())  # an activation after every layer
            return seq

        def added_too_early(width):
            layers = []
            seq = nn.Sequential()
            for layer in layers:
                seq.append(layer)
            layers.append(nn.Linear(width, width))  # never reaches the Sequential
            layers.append(nn.BatchNorm1d(width))
            return seq

        def not_a_sequential(width, target):
            layers = [nn.Linear(width, width), nn.BatchNorm1d(width)]
            for layer in layers:
                target.append(layer)
            return target
    """, "NN403")


def test_nn403_layer_built_with_forwarded_keywords() -> None:
    assert_findings("""
        from torch import nn

        def _conv_bn(c_in, c_out, **kwargs):
            return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs),  # expect: NN403
                                 nn.BatchNorm2d(c_out), nn.ReLU())

        def make(widths):
            def linear_bn(n_in, n_out, **kw):
                return nn.Sequential(nn.Linear(n_in, n_out, **kw),  # expect: NN403
                                     nn.BatchNorm1d(n_out))
            return nn.Sequential(_conv_bn(3, 16, kernel_size=3, padding=1),
                                 _conv_bn(16, 32, kernel_size=3), linear_bn(32, 8),
                                 linear_bn(8, 8, device="cpu"))
    """, "NN403")


def test_nn403_layer_built_with_forwarded_keywords_negatives() -> None:
    assert_findings("""
        import functools
        from torch import nn

        class ConvBN(nn.Module):  # public: another file may pass bias=False
            def __init__(self, c_in, c_out, **kwargs):
                super().__init__()
                self.conv = nn.Conv2d(c_in, c_out, **kwargs)
                self.bn = nn.BatchNorm2d(c_out)

            def forward(self, x):
                return self.bn(self.conv(x))

        def _no_bias_somewhere(c_in, c_out, **kwargs):
            return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs), nn.BatchNorm2d(c_out))

        def _splatted(c_in, c_out, **kwargs):
            return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs), nn.BatchNorm2d(c_out))

        def _defaulted(c_in, c_out, **kwargs):
            kwargs.setdefault("bias", False)
            return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs), nn.BatchNorm2d(c_out))

        def _handed_around(c_in, c_out, **kwargs):
            return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs), nn.BatchNorm2d(c_out))

        def _never_called(c_in, c_out, **kwargs):
            return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs), nn.BatchNorm2d(c_out))

        def _other_star(c_in, c_out, extra, **kwargs):
            return nn.Sequential(nn.Conv2d(c_in, c_out, **extra), nn.BatchNorm2d(c_out))

        config = {"bias": False}
        model = nn.Sequential(
            ConvBN(3, 8, kernel_size=3),
            _no_bias_somewhere(3, 8, kernel_size=3),
            _no_bias_somewhere(8, 8, kernel_size=3, bias=False),
            _splatted(3, 8, **config),
            _defaulted(3, 8, kernel_size=3),
            functools.partial(_handed_around, bias=False)(3, 8),
            _other_star(3, 8, {"bias": False}, kernel_size=3),
        )
    """, "NN403")


def test_nn403_keras_layer_with_forwarded_activation() -> None:
    assert_findings("""
        from tensorflow import keras

        def _dense_bn(units, **kwargs):
            return keras.Sequential([keras.layers.Dense(units, **kwargs),
                                     keras.layers.BatchNormalization()])

        def _conv_bn(filters, **kwargs):
            return keras.Sequential([keras.layers.Conv2D(filters, 3, **kwargs),  # expect: NN403
                                     keras.layers.BatchNormalization()])

        model = keras.Sequential([
            _dense_bn(64, activation="relu"),  # the activation sits between
            _conv_bn(32, padding="same"),
        ])
    """, "NN403")


def _notebook_findings(cell: str, code: str) -> list:
    import json

    from tests.helpers import lint

    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": cell,
                           "outputs": [], "execution_count": 1}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return [d for d in lint(json.dumps(notebook), "example.ipynb") if d.code == code]


_NOTEBOOK_BLOCK = "\n".join([
    "from torch import nn",
    "class Block(nn.Module):",
    "    def __init__(self, c_in, c_out, pool=False, **kwargs):",
    "        super().__init__()",
    "        self.conv = nn.Conv2d(c_in, c_out, **kwargs)",
    "        self.bn = nn.BatchNorm2d(c_out)",
    "    def forward(self, x):",
    "        return self.bn(self.conv(x))",
])


def test_nn403_forwarded_keywords_in_a_notebook_class() -> None:
    """A notebook's class is used nowhere else: its calls say what ``**kwargs`` holds."""
    calls = "net = nn.Sequential(Block(3, 8, kernel_size=3), Block(8, 8, True, padding=1))"
    found = _notebook_findings(_NOTEBOOK_BLOCK + "\n" + calls, "NN403")
    assert len(found) == 1 and found[0].location.row == 5, found


def test_nn403_forwarded_keywords_in_a_notebook_class_negatives() -> None:
    for calls in ("net = nn.Sequential(Block(3, 8, kernel_size=3), Block(8, 8, bias=False))",
                  "class Deeper(Block):\n    pass\nnet = Deeper(3, 8, bias=False)",
                  "kw = dict(bias=False)\nnet = Block(3, 8, **kw)"):
        assert _notebook_findings(_NOTEBOOK_BLOCK + "\n" + calls, "NN403") == [], calls
