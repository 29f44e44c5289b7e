"""The transformer's encoder: a local checkpoint, or a small one built here, offline.

Where the encoder comes from, first match wins:

1. ``model.encoder: PATH`` in the training config;
2. the environment variable ``CHILDX_ENCODER`` (a folder);
3. the offline default: a WordPiece tokenizer trained on the corpus and a small BERT
   pretrained with masked-language modelling on unlabelled generated conversations.

A checkpoint folder (KB-BERT ``KBLab/bert-base-swedish-cased`` or any Swedish or
multilingual BERT-like model on disk) is loaded with ``local_files_only=True``: nothing
is downloaded. The role markers are added to its tokenizer as special tokens.

The offline default is cached under ``models/encoders/<hash>/`` where the hash covers
the ``encoder`` section of the config and the generator's fingerprint (its code and phrase
banks: the encoder is pretrained on generated text), so repeated runs reuse it. The tokenizer keeps
å, ä and ö: it lower-cases but never strips accents ("Växjö" -> "växjö").
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import InputError
from .config import REPO_ROOT, config_hash

ROLE_TOKENS = {"stodsokande": "[STODSOKANDE]", "stodperson": "[STODPERSON]"}
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *ROLE_TOKENS.values()]
ENV_VAR = "CHILDX_ENCODER"
ENCODER_FORMAT = 1  # bump when the way the default encoder is built changes


def distributed_state():
    """accelerate's process state under ``accelerate launch`` with several processes, else None."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    from accelerate import PartialState

    return PartialState()


def quiet_transformers() -> None:
    """No load reports, progress bars or warnings from transformers: our own lines say what happens."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def log_callback(log: Callable[[str], None], what: str):
    """A Trainer callback that reports the loss through ``log`` (instead of printing dicts)."""
    from transformers import TrainerCallback

    class LogLoss(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs and state.is_world_process_zero:
                log(f"    {what}: steg {state.global_step}/{state.max_steps}, förlust {float(logs['loss']):.3f}")

    return LogLoss()


def make_quiet(trainer, log: Callable[[str], None], what: str):
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(log_callback(log, what))
    from ..progress import trainer_callback

    trainer.add_callback(trainer_callback(f"Transformer, {what}"))
    return trainer


def models_dir() -> Path:
    return Path(os.environ.get("CHILDX_MODELS_DIR") or REPO_ROOT / "models")


# --- tokenizer --------------------------------------------------------------------------

def train_tokenizer(texts: Iterable[str], vocab_size: int = 8000, min_frequency: int = 2):
    """A WordPiece tokenizer (``transformers`` fast tokenizer) trained on ``texts``.

    Lower-cases without stripping accents, so Swedish å, ä and ö survive.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False,
                                                lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=SPECIAL_TOKENS, show_progress=False)
    tok.train_from_iterator(texts, trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]",
                                   extra_special_tokens=list(ROLE_TOKENS.values()))


def role_token_ids(tokenizer) -> dict[str, int]:
    return {role: tokenizer.convert_tokens_to_ids(tok) for role, tok in ROLE_TOKENS.items()}


def ensure_role_tokens(tokenizer, model=None) -> None:
    """Add the role markers as special tokens (and grow the embeddings) when missing."""
    missing = [t for t in ROLE_TOKENS.values() if t not in tokenizer.get_vocab()]
    if missing:
        tokenizer.add_special_tokens({"extra_special_tokens": missing}, replace_extra_special_tokens=False)
        if model is not None:
            model.resize_token_embeddings(len(tokenizer))


# --- where the encoder comes from ------------------------------------------------------

def resolve_encoder(cfg: dict[str, Any], seed: int = 1, log: Callable[[str], None] = print) -> tuple[Path, str]:
    """(checkpoint folder, description) for a config; builds the default when needed."""
    path = (cfg.get("model") or {}).get("encoder") or os.environ.get(ENV_VAR)
    if path:
        p = Path(path).expanduser()
        if not p.is_dir() or not (p / "config.json").exists():
            key = "model.encoder" if (cfg.get("model") or {}).get("encoder") else ENV_VAR
            raise InputError("encoder checkpoint not found (a folder with config.json)", path=p, key=key)
        return p, f"local checkpoint {p}"
    return default_encoder(cfg.get("encoder") or {}, log=log)


def default_encoder(ecfg: dict[str, Any], log: Callable[[str], None] = print) -> tuple[Path, str]:
    """The small offline encoder for ``ecfg``, from the cache or built now."""
    import transformers

    key_obj = {k: v for k, v in ecfg.items() if k != "cache_dir"}
    if isinstance(key_obj.get("mlm"), dict):  # how often it logs does not change the encoder
        key_obj["mlm"] = {k: v for k, v in key_obj["mlm"].items() if k != "logging_steps"}
    from ..generate import generator_fingerprint

    # pretrained on generated conversations: a changed generator means a new encoder
    key = config_hash({"encoder": key_obj, "format": ENCODER_FORMAT, "transformers": transformers.__version__,
                       "generator": generator_fingerprint()})
    cache = Path(ecfg.get("cache_dir") or models_dir() / "encoders")
    target = cache / key
    if (target / "encoder.json").exists():
        log(f"  kodare från cache: {target}")
        return target, f"cached small encoder {key}"
    log(f"  bygger liten kodare (tokenizer + MLM-förträning) → {target}")
    state = distributed_state()
    if state is not None and not state.is_main_process:
        # every process takes part in the (data-parallel) MLM training; the main one saves
        with tempfile.TemporaryDirectory() as scratch:
            build_encoder(ecfg, Path(scratch), log=lambda m: None, save=False)
        state.wait_for_everyone()
        return target, f"small encoder {key} (built)"
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache))
    try:
        info = build_encoder(ecfg, tmp, log=log)
        (tmp / "encoder.json").write_text(json.dumps({"key": key, "config": key_obj, **info}, indent=2,
                                                     ensure_ascii=False), encoding="utf-8")
        if target.exists():  # built meanwhile by another run: keep that one
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if state is not None:
        state.wait_for_everyone()
    return target, f"small encoder {key} (built)"


def corpus_texts(ecfg: dict[str, Any]) -> list[list[tuple[str, str]]]:
    """Unlabelled conversations for the tokenizer and MLM: (role, text) lists."""
    from ..generate import generate_contacts

    corpus = ecfg.get("corpus") or {}
    convs = [[(m.role, m.text) for m in c.messages]
             for c in generate_contacts(int(corpus.get("n", 4000)), seed=int(corpus.get("seed", 101))).contacts]
    for extra in corpus.get("files") or []:  # optional plain-text files, one document per blank-line block
        text = Path(extra).read_text(encoding="utf-8")
        convs += [[("stodsokande", block.strip())] for block in text.split("\n\n") if block.strip()]
    return convs


def build_encoder(ecfg: dict[str, Any], out: Path, log: Callable[[str], None] = print,
                  save: bool = True) -> dict[str, Any]:
    """Train the tokenizer, pretrain a small BERT with MLM, save both to ``out``."""
    import torch
    from datasets import Dataset
    from transformers import (BertConfig, BertForMaskedLM, DataCollatorForLanguageModeling, Trainer,
                              TrainingArguments)

    seed = int(ecfg.get("seed", 1))
    torch.manual_seed(seed)
    quiet_transformers()
    t0 = time.perf_counter()
    convs = corpus_texts(ecfg)
    tokenizer = train_tokenizer((t for c in convs for _, t in c), vocab_size=int(ecfg.get("vocab_size", 8000)))
    log(f"  tokenizer: {len(tokenizer)} ord ({time.perf_counter() - t0:.1f} s)")
    max_len = int(ecfg.get("mlm_max_length", 128))
    role_ids = role_token_ids(tokenizer)
    # one MLM sample: consecutive messages with role markers, cut at max_len
    encoded = tokenizer([t for c in convs for _, t in c], add_special_tokens=False)["input_ids"]
    samples, cur, k = [], [], 0
    for c in convs:
        for role, _ in c:
            ids = [role_ids[role]] + encoded[k]
            k += 1
            while ids:
                room = max_len - 2 - len(cur)
                cur += ids[:room]
                ids = ids[room:]
                if len(cur) >= max_len - 2:
                    samples.append([tokenizer.cls_token_id] + cur + [tokenizer.sep_token_id])
                    cur = []
        if cur:
            samples.append([tokenizer.cls_token_id] + cur + [tokenizer.sep_token_id])
            cur = []
    mcfg = ecfg.get("mlm") or {}
    max_samples = mcfg.get("max_samples")
    if max_samples:
        samples = samples[: int(max_samples)]
    ds = Dataset.from_dict({"input_ids": samples})
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=int(ecfg.get("hidden_size", 256)),
        num_hidden_layers=int(ecfg.get("num_layers", 4)), num_attention_heads=int(ecfg.get("num_heads", 4)),
        intermediate_size=int(ecfg.get("intermediate_size", 1024)),
        max_position_embeddings=int(ecfg.get("max_position_embeddings", 512)),
        pad_token_id=tokenizer.pad_token_id, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )
    model = _sparse_mlm_class(BertForMaskedLM)(config)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm=True, mlm_probability=float(mcfg.get("mask_prob", 0.15)),
                                               seed=seed)
    with tempfile.TemporaryDirectory() as work:
        args = TrainingArguments(
            output_dir=work, per_device_train_batch_size=int(mcfg.get("batch_size", 32)),
            num_train_epochs=float(mcfg.get("epochs", 1)), max_steps=int(mcfg.get("max_steps", -1)),
            learning_rate=float(mcfg.get("learning_rate", 5e-4)), weight_decay=0.01,
            warmup_steps=float(mcfg.get("warmup_ratio", 0.06)), lr_scheduler_type="linear",  # float = ratio
            logging_steps=max(1, int(mcfg.get("logging_steps", 50))), save_strategy="no", report_to=[],
            seed=seed, dataloader_num_workers=0, disable_tqdm=True, use_cpu=not torch.cuda.is_available(),
            bf16=bool(mcfg.get("bf16", False)) and torch.cuda.is_available(),
        )
        trainer = make_quiet(Trainer(model=model, args=args, train_dataset=ds, data_collator=collator), log, "MLM")
        result = trainer.train()
    if save:
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    info = {"corpus_conversations": len(convs), "mlm_samples": len(samples), "mlm_loss": round(result.training_loss, 4),
            "seconds": round(time.perf_counter() - t0, 1), "vocab_size": len(tokenizer),
            "parameters": sum(p.numel() for p in model.bert.parameters())}
    log(f"  MLM: {len(samples)} fönster, förlust {result.training_loss:.3f} ({info['seconds']} s)")
    return info


def _sparse_mlm_class(BertForMaskedLM):
    """BERT MLM that scores only the masked positions: the vocabulary projection is most
    of a small model's cost, and unmasked positions do not enter the loss anyway."""
    import torch.nn.functional as F

    class SparseBertForMaskedLM(BertForMaskedLM):
        accepts_loss_kwargs = False

        def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            sel = labels != -100
            logits = self.cls(h[sel])
            return {"loss": F.cross_entropy(logits, labels[sel]), "logits": logits}

    return SparseBertForMaskedLM


def load_encoder(path: str | Path, *, safetensors_only: bool = False):
    """(encoder ``AutoModel``, tokenizer) from a local folder, role markers ensured.

    ``safetensors_only``: weights only from ``*.safetensors`` (a trained model folder; a
    pickled ``pytorch_model.bin`` is never loaded from one)."""
    from transformers import AutoModel, AutoTokenizer

    path = Path(path)
    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModel.from_pretrained(str(path), local_files_only=True,
                                      **({"use_safetensors": True} if safetensors_only else {}))
    ensure_role_tokens(tokenizer, model)
    return model, tokenizer
