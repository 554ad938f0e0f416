"""`graphrisk score --model`: the graph model's reason is its own explanation, not a probability.

A trained model on a small generated bank, fused through the service as the CLI does: the
best-scored medium/high customers whose reasons show the model quote what
``explain_customer`` says about them (a neighbour by id, a feature sentence); the others,
beyond the bound or in the low tier, say where to look (``graphrisk explain C…``).
"""

from __future__ import annotations

import pytest

from graphrisk.analytics.network import PythonNetworkEngine
from graphrisk.config import Settings, StoreKind
from graphrisk.ingestion.generator import generate_dataset
from graphrisk.ingestion.loader import ingest_directory
from graphrisk.models.artifacts import load_model
from graphrisk.models.dataset import build_graph_dataset
from graphrisk.models.explain import explain_customer, explain_customers, score_reasons
from graphrisk.models.lifecycle import train_on_store
from graphrisk.models.training import predict
from graphrisk.policy import load_policy
from graphrisk.scoring import ScoringSettings, score_customers
from graphrisk.service import RiskService
from graphrisk.store.embedded import EmbeddedGraphStore

pytestmark = pytest.mark.slow

MODEL_PREFIX = "graph model ("
SHARE = " of what raised the model's score)"
POINTER = "not explained in this run; `graphrisk explain"


@pytest.fixture(scope="module")
def fused(tmp_path_factory: pytest.TempPathFactory):
    """A 1,200-customer bank, an HGT trained on it, and `score --model` through the service."""
    root = tmp_path_factory.mktemp("score-model")
    generate_dataset(1_200, 7, root / "data")
    with EmbeddedGraphStore(root / "graphrisk.db") as store:
        ingest_directory(store, root / "data")
        train_on_store(store, root / "model", epochs=15, seed=1)
        service = RiskService(Settings(home=root / "home", store=StoreKind.EMBEDDED), store,
                              load_policy())
        result = service.score(write=False, model_dir=root / "model")
        snapshot = store.snapshot()
    trained = load_model(root / "model")
    dataset = build_graph_dataset(snapshot, encoders=trained.encoders)
    return result.scores, trained, dataset, snapshot


def _model_reason(reasons: list[str]) -> str | None:
    return next((r for r in reasons if r.startswith(MODEL_PREFIX)), None)


def _quoted(reason: str | None) -> bool:
    """The model's own reasons, not the pointer to `graphrisk explain`."""
    return reason is not None and reason.startswith(MODEL_PREFIX) and POINTER not in reason


def test_high_tier_reasons_quote_the_models_own_explanation(fused) -> None:
    scores, trained, dataset, snapshot = fused
    quoted = scores[scores["reasons"].map(
        lambda rs: _quoted(_model_reason(rs)))]
    assert not quoted.empty
    assert set(quoted["tier"]) <= {"high", "medium"}
    assert len(quoted) <= ScoringSettings().model_explanations
    top = quoted[quoted["tier"] == "high"].iloc[0]
    reason = _model_reason(top["reasons"])
    own = explain_customer(trained, dataset, top["customer_id"], snapshot=snapshot)
    first = own.reasons[0].rsplit(" (", 1)[0]
    assert own.reasons[0].endswith(SHARE)
    # "graph model (87%): <explain's first sentence>; <its second>", and nothing bare.
    assert reason.startswith(f"graph model ({top['model']:.0%}): {first}")
    assert "probability of a confirmed risk label" not in " ".join(top["reasons"])
    assert "graphrisk explain" not in reason
    # No customer anywhere is left with the bare-probability sentence.
    everything = " ".join(" ".join(rs) for rs in scores["reasons"])
    assert "probability of a confirmed risk label" not in everything


def test_beyond_the_bound_the_reason_points_to_graphrisk_explain(fused) -> None:
    scores, trained, dataset, snapshot = fused
    probability = predict(trained, dataset)
    asked: list[list[str]] = []

    def reasons(ids: list[str]) -> dict[str, list[str]]:
        asked.append(list(ids))
        return score_reasons(trained, dataset, ids, snapshot=snapshot)

    settings = ScoringSettings(model_explanations=2)
    result = score_customers(snapshot, PythonNetworkEngine(snapshot), load_policy(), settings,
                             model_probability=probability, model_reasons=reasons).scores
    showing = result[result["reasons"].map(lambda rs: _model_reason(rs) is not None)]
    eligible = showing[showing["tier"].isin(["high", "medium"])]
    assert len(eligible) > 2
    # One call, for the two best scores of the eligible customers, in score order.
    assert asked == [eligible["customer_id"].head(2).tolist()]
    for _, row in showing.iterrows():
        reason = _model_reason(row["reasons"])
        if row["customer_id"] in asked[0]:
            assert _quoted(reason)
        else:
            assert reason == (f"graph model ({row['model']:.0%}): not explained in this run; "
                              f"`graphrisk explain {row['customer_id']}` shows why")


def test_score_reasons_are_explains_sentences_without_their_share(fused) -> None:
    _, trained, dataset, snapshot = fused
    ids = predict(trained, dataset).sort_values(ascending=False).index[:3].tolist()
    short = score_reasons(trained, dataset, ids, snapshot=snapshot)
    full = explain_customers(trained, dataset, ids, snapshot=snapshot)
    for customer in ids:
        assert 1 <= len(short[customer]) <= 2
        for sentence, whole in zip(short[customer], full[customer].reasons, strict=False):
            assert whole == sentence or (whole.startswith(sentence + " (")
                                         and whole.endswith(SHARE))


def test_zero_explanations_keeps_every_pointer(fused) -> None:
    _, trained, dataset, snapshot = fused
    called = []
    result = score_customers(
        snapshot, PythonNetworkEngine(snapshot), load_policy(),
        ScoringSettings(model_explanations=0),
        model_probability=predict(trained, dataset),
        model_reasons=lambda ids: called.append(ids) or {}).scores
    assert called == []
    assert not any(_quoted(r) for rs in result["reasons"] for r in rs)
    assert any(_model_reason(rs) for rs in result["reasons"])
    with pytest.raises(ValueError, match="model_explanations"):
        ScoringSettings(model_explanations=-1)


def test_batched_attributions_equal_captums_one_customer_at_a_time(fused) -> None:
    """Neighbourhoods side by side give each customer the attributions it gets alone."""
    import numpy as np

    from graphrisk.models._pyg import CaptumExplainer, Explainer
    from graphrisk.models.explain import DEFAULT_STEPS, computation_subgraph

    _, trained, dataset, snapshot = fused
    ids = predict(trained, dataset).sort_values(ascending=False).index[:4].tolist()
    batched = explain_customers(trained, dataset, ids, snapshot=snapshot, top=50)
    network = trained.network.cpu().eval()
    explainer = Explainer(
        model=network, algorithm=CaptumExplainer("IntegratedGradients", n_steps=DEFAULT_STEPS),
        explanation_type="model", node_mask_type="attributes", edge_mask_type=None,
        model_config={"mode": "regression", "task_level": "node", "return_type": "raw"})
    names = trained.encoders.feature_names("customer")
    compared = 0
    for customer, position in zip(ids, dataset.positions(ids), strict=True):
        hood = computation_subgraph(dataset.data, int(position), len(network.convs),
                                    network.edge_types)
        sub = hood.data
        alone = explainer(sub.x_dict, sub.edge_index_dict, index=hood.centre,
                          edge_attr_dict=sub.edge_attr_dict)
        own = alone["customer"].node_mask[hood.centre].detach().numpy()
        ours = {f.feature: f.attribution for f in batched[customer].features}
        assert ours
        for feature, attribution in ours.items():
            assert attribution == pytest.approx(float(own[names.index(feature)]), abs=1e-4)
        for neighbour in batched[customer].neighbours:
            compared += 1
            positions = hood.nodes[neighbour.node_type]
            node = int(np.flatnonzero(
                dataset.node_ids[neighbour.node_type][positions] == neighbour.node_id)[0])
            total = float(alone[neighbour.node_type].node_mask[node].sum())
            assert neighbour.attribution == pytest.approx(total, abs=1e-4)
    assert compared > 0
