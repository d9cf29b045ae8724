"""probe_shapes: prime dims on fake tensors (NR101, NR102, NR104)."""

import pytest
import torch
from torch import nn

import lintnn.torch as lt

from . import models
from .models import Encoder, line_of, mlp, tiny_bert, tiny_gpt2, token_batch


def test_head_split_by_view_is_found_with_module_path_and_source() -> None:
    rep = lt.probe_shapes(Encoder(bug_layer=1), torch.randn(2, 5, 16))
    assert rep.codes() == ["NR101"]
    (f,) = rep.findings
    assert f.module == "layers.1.attn"
    line = line_of(models.__file__, "z.reshape(b, self.heads")
    assert f.source == f"{models.__file__}:{line}"
    assert "(B, T, 16)" in f.message and "(B, 2, T, 8)" in f.message
    assert f.extra["op"] in ("aten.view", "aten._unsafe_view")


def test_correct_head_split_is_clean_and_records_layers() -> None:
    rep = lt.probe_shapes(Encoder(), torch.randn(2, 5, 16))
    assert rep.ok and rep.findings == []
    shapes = rep.data["shapes"]
    assert shapes["mode"] == "fake" and shapes["dims"] == {"B": 7, "T": 11}
    layer = next(r for r in shapes["layers"] if r["module"] == "layers.0.attn.qkv")
    assert layer["inputs"] == "(B, T, 16)" and layer["output"] == "(B, T, 48)"


def test_view_that_swaps_batch_and_time_is_found() -> None:
    class SeqFirst(nn.Module):
        def forward(self, x):
            return x.view(x.shape[1], x.shape[0], -1)

    rep = lt.probe_shapes(SeqFirst(), torch.randn(3, 4, 5))
    assert "NR101" in rep.codes()


@pytest.mark.parametrize("loss_fn", [nn.MSELoss(), lambda p, y: ((p - y) ** 2).mean()])
def test_loss_broadcast_b1_against_b(loss_fn) -> None:
    rep = lt.probe_shapes(nn.Linear(4, 1), torch.randn(8, 4), target=torch.randn(8),
                          loss_fn=loss_fn)
    assert rep.codes() == ["NR102"]
    assert "(B, B)" in rep.findings[0].message


def test_matching_loss_shapes_are_clean() -> None:
    rep = lt.probe_shapes(nn.Linear(4, 1), torch.randn(8, 4), target=torch.randn(8, 1),
                          loss_fn=nn.MSELoss())
    assert rep.findings == []


def test_failure_names_module_error_and_dims() -> None:
    class Hardcoded(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Sequential(nn.Linear(6, 6), nn.Unflatten(1, (2, 3)))
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(self.inner(x).view(4, 2, 3))

    rep = lt.probe_shapes(Hardcoded(), torch.randn(4, 6))
    (f,) = rep.findings
    assert f.code == "NR104" and f.severity.value == "error"
    assert f.module == "" and "in the root module" in f.message
    assert "B=7" in f.message and "RuntimeError" in f.message
    assert f.source == f"{__file__}:{line_of(__file__, 'inner(x).view(4, 2, 3)')}"


def test_cnn_falls_back_to_batch_only_dims_with_a_note() -> None:
    cnn = nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(4 * 15 * 15, 10))
    rep = lt.probe_shapes(cnn, torch.randn(2, 3, 32, 32))
    assert rep.ok
    assert [f.severity.value for f in rep.findings] == ["info"]
    assert rep.data["shapes"]["spec"]["input"] == ["B", None, None, None]


def test_dims_override() -> None:
    rep = lt.probe_shapes(Encoder(), torch.randn(2, 5, 16), dims={"x": ("N", "L", None)})
    assert rep.data["shapes"]["dims"] == {"B": 7, "L": 11, "N": 13}
    assert rep.data["shapes"]["spec"]["x"] == ["N", "L", None]
    assert rep.findings == []


def test_data_dependent_op_falls_back_to_real_tensors() -> None:
    class Gate(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            h = self.fc(x)
            return h * 2 if float(h.abs().max()) > 0 else h

    rep = lt.probe_shapes(Gate(), torch.randn(3, 4))
    assert rep.data["shapes"]["mode"] == "real"
    assert [f.code for f in rep.findings] == ["NR104"]
    assert rep.findings[0].severity.value == "info"


def test_bert_and_gpt2_are_clean() -> None:
    for model in (tiny_bert(), tiny_gpt2()):
        rep = lt.probe_shapes(model, token_batch())
        assert rep.findings_with_prefix("NR1") == [], str(rep)
        assert rep.data["shapes"]["dims"]["B"] == 7


def test_probe_costs_no_real_tensor_compute_on_meta_model() -> None:
    with torch.device("meta"):
        model = mlp()
    rep = lt.probe_shapes(model, torch.randn(2, 10))
    assert rep.findings == [] and rep.data["shapes"]["ops"] > 0
    assert rep.data["shapes"]["mode"] == "meta"


def test_merged_dims_from_multihead_attention_are_not_flagged() -> None:
    class SeqFirstAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = nn.MultiheadAttention(16, 2)

        def forward(self, x):
            return self.attn(x, x, x)[0]

    rep = lt.probe_shapes(SeqFirstAttention(), torch.randn(5, 2, 16), dims={"x": ("T", "B", None)})
    assert rep.findings == []


@pytest.mark.parametrize("before, after, mixed", [
    ((7, 11, 16), (7, 2, 11, 8), "T"),  # heads split by view
    ((7, 2, 11, 8), (7, 11, 16), "T"),  # heads merged without permute
    ((7, 11, 16), (11, 7, 16), "B"),  # batch and time swapped by view
    ((7, 11, 16), (77, 16), None),  # merge neighbours
    ((77, 16), (7, 11, 16), None),  # split them back
    ((11, 14, 8), (77, 16), None),  # (T, B*H, D) -> (T*B, H*D), as in MultiheadAttention
])
def test_mixed_dim(before, after, mixed) -> None:
    from lintnn.runtime.torch.shapes import mixed_dim

    assert mixed_dim(before, after, {"B": 7, "T": 11}) == mixed


def test_check_all_on_meta_model_probes_shapes_only() -> None:
    with torch.device("meta"):
        model = Encoder(bug_layer=0)
    rep = lt.check_all(model, torch.randn(2, 5, 16))
    assert rep.codes() == ["NR101"] and rep.check == "lintnn.torch"


def test_failure_inside_a_submodule_names_it_and_its_input_dims() -> None:
    class Bad(nn.Module):
        def forward(self, x):
            return x.view(4, -1, 3)

    model = nn.Sequential(nn.Linear(6, 6), nn.Sequential(nn.ReLU(), Bad()))
    (f,) = lt.probe_shapes(model, torch.randn(4, 6)).findings
    assert f.module == "1.1" and "whose inputs were (B, 6)" in f.message


class Refold(nn.Module):
    """Merges (B, T) into rows, then splits the rows as (T, B): every size factors right."""

    def __init__(self, bug: bool = True) -> None:
        super().__init__()
        self.fc = nn.Linear(5, 5)
        self.bug = bug

    def forward(self, x):
        b, t, f = x.shape
        if self.bug:
            rows = self.fc(x.reshape(b * t, f))
        else:
            rows = self.fc(x.transpose(0, 1).reshape(t * b, f))
        return rows.view(t, b, f).transpose(0, 1)  # back to (B, T, F)


def test_merge_then_split_in_the_other_order_is_found() -> None:
    rep = lt.probe_shapes(Refold(), torch.randn(3, 4, 5))
    (f,) = rep.findings
    assert f.code == "NR101" and f.extra["dims"] == ["B", "T"]
    assert "(B*T, 5) into (T, B, 5)" in f.message
    assert f.source == f"{__file__}:{line_of(__file__, 'rows.view(t, b, f)')}"


def test_merge_and_split_in_the_same_order_is_clean() -> None:
    assert lt.probe_shapes(Refold(bug=False), torch.randn(3, 4, 5)).findings == []


def test_meta_transformers_model_with_an_attention_mask_is_probed() -> None:
    """transformers asks ``attention_mask.all()``: meta tensors have no value to read."""
    with torch.device("meta"):
        model = tiny_bert()
    rep = lt.probe_shapes(model, token_batch())
    assert rep.findings == [], str(rep)
    assert rep.data["shapes"]["mode"] == "meta" and rep.data["shapes"]["assumed_true"]


def test_meta_model_reading_a_number_is_info_not_an_error() -> None:
    class Reads(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(x) * int(self.fc.weight.sum())

    with torch.device("meta"):
        model = Reads()
    rep = lt.probe_shapes(model, torch.randn(2, 4))
    assert [(f.code, f.severity.value) for f in rep.findings] == [("NR104", "info")]
    assert "meta device" in rep.findings[0].message


def test_compiled_model_is_probed_with_its_own_module_paths() -> None:
    compiled = torch.compile(Encoder(bug_layer=1), backend="eager")
    (f,) = lt.probe_shapes(compiled, torch.randn(2, 5, 16)).findings
    assert f.module == "layers.1.attn"

