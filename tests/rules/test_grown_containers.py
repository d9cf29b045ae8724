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
