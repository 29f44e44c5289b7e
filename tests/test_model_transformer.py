"""The transformer family: the tokenizer keeps å/ä/ö, long conversations become several
windows (not cut at a fixed length), and a tiny model trains and round-trips."""

from __future__ import annotations

import json

import pytest

from childx_research.modeling.encoder import ROLE_TOKENS, load_encoder, train_tokenizer
from childx_research.modeling.transformer import conversation_windows
from childx_research.records import Conversation, Message


@pytest.fixture(scope="module")
def tokenizer(generated_small):
    texts = [m.text for c in generated_small.contacts[:80] for m in c.messages]
    return train_tokenizer(texts, vocab_size=600)


def test_tokenizer_keeps_swedish_letters_after_reload(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path / "tok")
    from transformers import AutoTokenizer

    again = AutoTokenizer.from_pretrained(str(tmp_path / "tok"), local_files_only=True)
    ids = again("Jag bor i Växjö, nära sjön", add_special_tokens=False)["input_ids"]
    text = again.decode(ids)
    assert "växjö" in text and "sjön" in text and "nära" in text
    for tok in ROLE_TOKENS.values():  # role markers are single special tokens
        assert len(again(tok, add_special_tokens=False)["input_ids"]) == 1


def test_long_conversations_become_several_windows(tokenizer):
    long = "jag vet inte vad jag ska göra längre för han skriver hela tiden . " * 40
    conv = Conversation(id="x", messages=[Message(role="stodsokande", text="hej"),
                                          Message(role="stodperson", text="Hej! Vad har hänt?"),
                                          Message(role="stodsokande", text=long),
                                          Message(role="stodperson", text="Tack för att du berättar.")])
    windows = conversation_windows([conv], tokenizer, max_length=64, overlap=8)[0]
    n_tokens = len(tokenizer(long, add_special_tokens=False)["input_ids"])
    assert len(windows) >= n_tokens // 62
    role_ids = {tokenizer.convert_tokens_to_ids(t) for t in ROLE_TOKENS.values()}
    for w in windows:
        assert len(w) <= 64
        assert w[0] == tokenizer.cls_token_id and w[-1] == tokenizer.sep_token_id
        assert w[1] in role_ids  # every window starts with who is speaking
    # every token of the long message is in some window: nothing is cut off
    covered = set()
    for w in windows:
        covered.update(w)
    assert set(tokenizer(long, add_special_tokens=False)["input_ids"]) <= covered
    # the last message is still there
    last = tokenizer("Tack för att du berättar.", add_special_tokens=False)["input_ids"]
    assert windows[-1][-1 - len(last):-1] == last


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    from childx_research.modeling import train

    root = tmp_path_factory.mktemp("tiny")
    return train("tiny", root / "model", overrides={"encoder": {"cache_dir": str(root / "encoders")}},
                 log=lambda m: None)


def test_tiny_transformer_round_trip(tiny_dir, generated_small, form):
    from childx_research.modeling import predict
    from childx_research.modeling.predict import Predictor

    assert (tiny_dir / "transformer" / "encoder" / "tokenizer.json").exists()
    assert (tiny_dir / "transformer" / "heads.safetensors").exists()
    run = json.loads((tiny_dir / "run.json").read_text())
    assert "encoder" in run and run["versions"]["transformers"]
    convs = [c.conversation() for c in generated_small.contacts[:12]]
    recs = predict(tiny_dir, convs)
    for r in recs:
        assert not form.check_values(r.form)
        assert set(r.field_confidence) == {f.key for f in form.choice_fields}
    again = Predictor(tiny_dir).predict(convs)
    assert [r.form for r in again] == [r.form for r in recs]
    # the encoder is cached: a second run reuses it
    cache = next(tiny_dir.parent.glob("encoders/*/encoder.json"))
    assert json.loads(cache.read_text())["mlm_samples"] > 0


def test_local_checkpoint_from_config_or_env(tiny_dir, tmp_path, monkeypatch):
    from childx_research.errors import InputError
    from childx_research.modeling.encoder import resolve_encoder

    ckpt = tiny_dir / "transformer" / "encoder"
    path, desc = resolve_encoder({"model": {"encoder": str(ckpt)}})
    assert path == ckpt and "local" in desc
    monkeypatch.setenv("CHILDX_ENCODER", str(ckpt))
    assert resolve_encoder({})[0] == ckpt
    model, tok = load_encoder(ckpt)  # local_files_only: no download is ever tried
    assert tok.convert_tokens_to_ids(ROLE_TOKENS["stodsokande"]) != tok.unk_token_id
    with pytest.raises(InputError, match="encoder checkpoint not found"):
        resolve_encoder({"model": {"encoder": str(tmp_path / "nope")}})
