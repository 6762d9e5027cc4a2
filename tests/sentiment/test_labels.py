import pytest

from core.config.settings import Settings
from sentiment.labels import LabelMappingError, label_map
from sentiment.scoring import load_scorer


@pytest.mark.parametrize("id2label, targets", [
    ({0: "negative", 1: "neutral", 2: "positive"}, ("negative", "neutral", "positive")),
    ({0: "POS", 1: "NEG", 2: "NEU"}, ("positive", "negative", "neutral")),
    ({0: "Negative", 1: "Positive"}, ("negative", "positive")),
    ({"0": "negatief", "1": "neutraal", "2": "positief"}, ("negative", "neutral", "positive")),
    ({0: "LABEL_0", 1: "LABEL_1"}, ("negative", "positive")),
    ({0: "very negative", 1: "Negative", 2: "neutral", 3: "positive", 4: "very_positive"},
     ("negative", "negative", "neutral", "positive", "positive")),
    ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, ("negative", "neutral", "positive")),
    ({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"},
     ("negative", "negative", "neutral", "positive", "positive")),
])
def test_label_names_map_onto_three_labels(id2label, targets):
    assert label_map(id2label).targets == targets


@pytest.mark.parametrize("id2label", [
    {0: "joy", 1: "anger"},
    {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"},
    {0: "positive", 1: "joy"},
])
def test_unmappable_labels_are_refused_with_their_names(id2label):
    with pytest.raises(LabelMappingError, match=str(list(id2label.values())[0])):
        label_map(id2label)


def test_binary_neutral_margin():
    binary = label_map({0: "Negative", 1: "Positive"})
    label, probs = binary.three_way([0.45, 0.55], neutral_margin=0.5)
    assert label == "neutral"
    assert probs["neutral"] == pytest.approx(0.9) and sum(probs.values()) == pytest.approx(1.0)
    label, probs = binary.three_way([0.05, 0.95], neutral_margin=0.5)
    assert label == "positive" and probs["positive"] > probs["negative"]
    assert binary.three_way([0.45, 0.55], neutral_margin=0.0)[0] == "positive"


def test_star_ratings_sum_per_label():
    stars = label_map({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"})
    label, probs = stars.three_way([0.3, 0.3, 0.1, 0.2, 0.1], neutral_margin=0.5)
    assert label == "negative" and probs == pytest.approx({"negative": 0.6, "neutral": 0.1, "positive": 0.3})


def test_any_local_model_by_configuration(tiny_classifier_dir):
    """A binary model from a directory (NEWSROOM_MODEL): its labels, id, version and a neutral threshold."""
    path = tiny_classifier_dir({0: "Negative", 1: "Positive"})
    texts = ["de stad is mooi", "de stad is vies", "mooi"]
    always_neutral = load_scorer(Settings(model=str(path), neutral_margin=1.0), quantized=False)
    assert always_neutral.model_id == str(path.resolve())
    assert len(always_neutral.model_version) == 12
    assert always_neutral.labels.binary
    results = always_neutral.predict(texts)
    assert [label for label, _ in results] == ["neutral"] * 3
    assert all(sum(p.values()) == pytest.approx(1.0) for _, p in results)
    never_neutral = load_scorer(Settings(model=str(path), neutral_margin=0.0), quantized=True)
    assert never_neutral.model_version.endswith("+int8")
    assert {label for label, _ in never_neutral.predict(texts)} <= {"negative", "positive"}
