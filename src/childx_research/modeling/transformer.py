"""The transformer family: one shared encoder, one head per form field.

Input: every message becomes ``[ROLE] text`` (role markers are special tokens, so the
model knows who speaks). Messages are packed, whole, into windows of at most
``model.max_length`` tokens; a message longer than a window is cut into overlapping
chunks, each starting with its role marker. Nothing is cut off at 512 tokens: every
window is encoded, each head scores every window (its [CLS] vector), and the window
logits are pooled per conversation (``max`` by default: evidence anywhere counts).

Heads: a softmax head per single field, a sigmoid head per multi field (one logit per
option). The loss is the sum over fields of cross-entropy and binary cross-entropy.
Training uses ``transformers.Trainer`` on a ``datasets.Dataset`` of windows; the model
returns its loss.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..forms import Form
from ..records import Conversation
from .data import Example

SUBDIR = "transformer"


# --- windows ----------------------------------------------------------------------------

def conversation_windows(conversations: list[Conversation], tokenizer, max_length: int = 256,
                         overlap: int = 32, max_windows: int = 32) -> list[list[list[int]]]:
    """Token id windows per conversation, each ``[CLS] [ROLE] … [SEP]``, at most ``max_length`` long."""
    from .encoder import role_token_ids

    role_ids = role_token_ids(tokenizer)
    cls_id = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    sep_id = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    cap = max_length - 2
    texts = [m.text for c in conversations for m in c.messages]
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    out: list[list[list[int]]] = []
    k = 0
    for conv in conversations:
        pieces: list[list[int]] = []
        for m in conv.messages:
            ids, role = encoded[k], role_ids[m.role]
            k += 1
            if len(ids) + 1 <= cap:
                pieces.append([role] + ids)
                continue
            step = max(1, cap - 1 - overlap)
            for start in range(0, len(ids), step):
                pieces.append([role] + ids[start:start + cap - 1])
                if start + cap - 1 >= len(ids):
                    break
        windows: list[list[int]] = []
        cur: list[int] = []
        for p in pieces:
            if cur and len(cur) + len(p) > cap:
                windows.append(cur)
                cur = []
            cur = cur + p
        if cur or not windows:
            windows.append(cur)
        out.append([[cls_id] + w + [sep_id] for w in windows[:max_windows]])
    return out


# --- the model --------------------------------------------------------------------------

def _torch():
    import torch

    return torch


def build_model_class():
    """The nn.Module class (defined lazily so importing this module does not import torch)."""
    import torch
    from torch import nn

    class FormModel(nn.Module):
        accepts_loss_kwargs = False  # the Trainer must not pass num_items_in_batch

        def __init__(self, encoder, heads: list[dict[str, Any]], dropout: float = 0.1, pooling: str = "max",
                     window_vector: str = "mean"):
            super().__init__()
            self.encoder = encoder
            self.head_spec = heads
            self.pooling = pooling
            self.window_vector = window_vector
            hidden = encoder.config.hidden_size
            self.dropout = nn.Dropout(dropout)
            if window_vector == "label_attention":
                # label-wise attention: every option has its own query over the window's tokens
                self.queries = nn.ParameterDict({h["key"]: nn.Parameter(torch.randn(h["n"], hidden) * 0.02)
                                                 for h in heads})
                self.heads = nn.ModuleDict({h["key"]: OptionLinear(h["n"], hidden) for h in heads})
            else:
                self.heads = nn.ModuleDict({h["key"]: nn.Linear(hidden, h["n"]) for h in heads})

        def forward(self, input_ids, attention_mask, owner, n_items=None, **labels):
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            states = self.dropout(out.last_hidden_state)
            if self.window_vector == "cls":
                h = states[:, 0]
            elif self.window_vector == "mean":
                m = attention_mask.unsqueeze(-1).to(states.dtype)
                h = (states * m).sum(1) / m.sum(1).clamp(min=1.0)
            n = int(owner.max().item()) + 1 if n_items is None else int(n_items.reshape(-1)[0].item())
            pooled = {}
            for spec in self.head_spec:
                if self.window_vector == "label_attention":
                    scores = torch.einsum("wth,kh->wkt", states, self.queries[spec["key"]])
                    scores = scores.masked_fill(attention_mask.unsqueeze(1) == 0, float("-inf"))
                    vec = torch.einsum("wkt,wth->wkh", scores.softmax(-1), states)
                    lw = self.heads[spec["key"]](vec)
                else:
                    lw = self.heads[spec["key"]](h)
                idx = owner.unsqueeze(1).expand(-1, lw.shape[1])
                reduce = "amax" if self.pooling == "max" else "mean"
                pooled[spec["key"]] = torch.zeros(n, lw.shape[1], dtype=lw.dtype, device=lw.device).scatter_reduce(
                    0, idx, lw, reduce=reduce, include_self=False)
            result = {"logits": tuple(pooled[s["key"]] for s in self.head_spec)}
            if labels:
                loss = 0.0
                for spec in self.head_spec:
                    y = labels.get(f"labels__{spec['key']}")
                    if y is None:
                        continue
                    z = pooled[spec["key"]]
                    if spec["kind"] == "single":
                        loss = loss + nn.functional.cross_entropy(z, y.long())
                    else:
                        # summed over options (not averaged): each option counts as much as a single field
                        loss = loss + nn.functional.binary_cross_entropy_with_logits(
                            z, y.float(), reduction="sum") / z.shape[0]
                result["loss"] = loss
            return result

    class OptionLinear(nn.Module):
        """One logit per option from that option's own vector: (W, K, H) -> (W, K)."""

        def __init__(self, n: int, hidden: int):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(n, hidden) * 0.02)
            self.bias = nn.Parameter(torch.zeros(n))

        def forward(self, vec):
            return (vec * self.weight).sum(-1) + self.bias

    return FormModel


def make_trainer(model, args, dataset, collator, head_lr_factor: float = 20.0):
    """A ``transformers.Trainer`` whose optimizer gives the heads a larger learning rate
    than the encoder (``train.head_lr_factor``): fresh heads on a small encoder otherwise sit
    for many epochs at the label prior before they learn anything."""
    import torch
    from transformers import Trainer

    class FormTrainer(Trainer):
        def create_optimizer(self, model=None):
            if self.optimizer is None:
                m = self.model if model is None else model
                decay = set(self.get_decay_parameter_names(m))
                groups: dict[tuple[bool, bool], list] = {}
                for name, p in m.named_parameters():
                    if p.requires_grad:
                        groups.setdefault((name.startswith("encoder."), name in decay), []).append(p)
                lr = self.args.learning_rate
                self.optimizer = torch.optim.AdamW(
                    [{"params": ps, "lr": lr if is_enc else lr * head_lr_factor,
                      "weight_decay": self.args.weight_decay if dec else 0.0}
                     for (is_enc, dec), ps in groups.items()], lr=lr)
            return self.optimizer

    return FormTrainer(model=model, args=args, train_dataset=dataset, data_collator=collator)


def collate(batch: list[dict[str, Any]], pad_id: int, head_spec: list[dict[str, Any]]) -> dict[str, Any]:
    torch = _torch()
    windows = [w for item in batch for w in item["windows"]]
    owner = [i for i, item in enumerate(batch) for _ in item["windows"]]
    width = max(len(w) for w in windows)
    ids = torch.full((len(windows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(windows), width), dtype=torch.long)
    for r, w in enumerate(windows):
        ids[r, : len(w)] = torch.tensor(w, dtype=torch.long)
        mask[r, : len(w)] = 1
    out = {"input_ids": ids, "attention_mask": mask, "owner": torch.tensor(owner, dtype=torch.long),
           "n_items": torch.tensor([len(batch)], dtype=torch.long)}
    for spec in head_spec:
        key = f"labels__{spec['key']}"
        if key in batch[0]:
            out[key] = torch.tensor([item[key] for item in batch],
                                    dtype=torch.long if spec["kind"] == "single" else torch.float)
    return out


def head_spec(form: Form) -> list[dict[str, Any]]:
    return [{"key": f.key, "kind": f.kind, "n": len(f.options)} for f in form.choice_fields]


def to_dataset(examples: list[Example], form: Form, tokenizer, mcfg: dict[str, Any]):
    """A ``datasets.Dataset``: windows of token ids plus one label column per field."""
    from datasets import Dataset

    from .calibration import targets

    windows = conversation_windows([e.conversation for e in examples], tokenizer, int(mcfg.get("max_length", 256)),
                                   int(mcfg.get("overlap", 32)), int(mcfg.get("max_windows", 32)))
    cols: dict[str, Any] = {"id": [e.conversation.id for e in examples], "windows": windows}
    values = [e.values for e in examples]
    for f in form.choice_fields:
        cols[f"labels__{f.key}"] = targets(f, values).tolist()
    return Dataset.from_dict(cols)


class TransformerModel:
    family = "transformer"

    def __init__(self, form: Form, model, tokenizer, mcfg: dict[str, Any]) -> None:
        self.form = form
        self.model = model
        self.tokenizer = tokenizer
        self.mcfg = mcfg

    # --- training --------------------------------------------------------------------
    @classmethod
    def fit(cls, train: list[Example], form: Form, cfg: dict[str, Any], seed: int = 1,
            log: Callable[[str], None] = print, encoder_path: Path | None = None) -> "TransformerModel":
        import tempfile

        import torch
        from transformers import TrainingArguments, set_seed

        from .encoder import load_encoder, make_quiet, resolve_encoder

        set_seed(seed)
        mcfg = dict(cfg.get("model") or {})
        if encoder_path is None:
            encoder_path, desc = resolve_encoder(cfg, seed=seed, log=log)
            mcfg["encoder_source"] = desc
        encoder, tokenizer = load_encoder(encoder_path)
        max_pos = getattr(encoder.config, "max_position_embeddings", 512)
        mcfg["max_length"] = min(int(mcfg.get("max_length", 256)), int(max_pos))
        Model = build_model_class()
        model = Model(encoder, head_spec(form), float(mcfg.get("dropout", 0.1)), mcfg.get("pooling", "max"),
                      mcfg.get("window_vector", "mean"))
        t0 = time.perf_counter()
        ds = to_dataset(train, form, tokenizer, mcfg)
        n_windows = sum(len(w) for w in ds["windows"])
        log(f"  {len(ds)} samtal → {n_windows} fönster à högst {mcfg['max_length']} token "
            f"({time.perf_counter() - t0:.1f} s)")
        tcfg = cfg.get("train") or {}
        spec = head_spec(form)
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        with tempfile.TemporaryDirectory() as work:
            args = TrainingArguments(
                output_dir=work, per_device_train_batch_size=int(tcfg.get("batch_size", 8)),
                num_train_epochs=float(tcfg.get("epochs", 3)), max_steps=int(tcfg.get("max_steps", -1)),
                learning_rate=float(tcfg.get("learning_rate", 2e-4)),
                weight_decay=float(tcfg.get("weight_decay", 0.01)),
                warmup_steps=float(tcfg.get("warmup_ratio", 0.1)), lr_scheduler_type="linear",
                logging_steps=max(1, int(tcfg.get("logging_steps", 50))), save_strategy="no", eval_strategy="no",
                report_to=[], seed=seed, remove_unused_columns=False, dataloader_num_workers=0,
                disable_tqdm=True, use_cpu=not torch.cuda.is_available(),
                label_names=[f"labels__{s['key']}" for s in spec],
                gradient_accumulation_steps=int(tcfg.get("gradient_accumulation_steps", 1)),
                bf16=bool(tcfg.get("bf16", False)) and torch.cuda.is_available(),
            )
            trainer = make_trainer(model, args, ds, lambda b: collate(b, pad_id, spec),
                                   float(tcfg.get("head_lr_factor", 20.0)))
            make_quiet(trainer, log, "finjustering")
            result = trainer.train()
        log(f"  finjustering: förlust {result.training_loss:.3f}, {result.global_step} steg "
            f"({time.perf_counter() - t0:.0f} s)")
        model = trainer.accelerator.unwrap_model(model) if hasattr(trainer, "accelerator") else model
        model.eval()
        return cls(form, model, tokenizer, mcfg)

    # --- scoring ---------------------------------------------------------------------
    def logits(self, conversations: list[Conversation], batch_windows: int | None = None) -> dict[str, np.ndarray]:
        import torch

        mcfg = self.mcfg
        windows = conversation_windows(conversations, self.tokenizer, int(mcfg.get("max_length", 256)),
                                       int(mcfg.get("overlap", 32)), int(mcfg.get("max_windows", 32)))
        spec = self.model.head_spec
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        device = next(self.model.parameters()).device
        budget = batch_windows or int(mcfg.get("predict_batch_windows", 32))
        # sort by length for less padding, keep the original order in the output
        order = sorted(range(len(windows)), key=lambda i: sum(len(w) for w in windows[i]))
        out = {s["key"]: np.zeros((len(windows), s["n"]), dtype=np.float64) for s in spec}
        self.model.eval()
        i = 0
        with torch.inference_mode():
            while i < len(order):
                batch, count = [], 0
                while i < len(order) and (not batch or count + len(windows[order[i]]) <= budget):
                    batch.append(order[i])
                    count += len(windows[order[i]])
                    i += 1
                inputs = collate([{"windows": windows[j]} for j in batch], pad_id, spec)
                inputs = {k: v.to(device) for k, v in inputs.items()}
                res = self.model(**inputs)
                for s, z in zip(spec, res["logits"]):
                    out[s["key"]][batch] = z.float().cpu().numpy()
        return out

    # --- persistence -----------------------------------------------------------------
    def save(self, model_dir: Path) -> None:
        from safetensors.torch import save_file

        d = Path(model_dir) / SUBDIR
        d.mkdir(parents=True, exist_ok=True)
        self.model.encoder.save_pretrained(d / "encoder")
        self.tokenizer.save_pretrained(d / "encoder")
        # everything but the encoder (saved above as a standard checkpoint): heads and label queries
        heads = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()
                 if not k.startswith("encoder.")}
        save_file(heads, str(d / "heads.safetensors"))
        (d / "transformer.json").write_text(json.dumps(
            {"heads": self.model.head_spec, "pooling": self.model.pooling, "model": self.mcfg}, indent=2,
            ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, model_dir: Path, form: Form) -> "TransformerModel":
        import torch
        from safetensors.torch import load_file

        from .encoder import load_encoder

        d = Path(model_dir) / SUBDIR
        meta = json.loads((d / "transformer.json").read_text(encoding="utf-8"))
        encoder, tokenizer = load_encoder(d / "encoder", safetensors_only=True)
        Model = build_model_class()
        model = Model(encoder, meta["heads"], float(meta["model"].get("dropout", 0.1)), meta.get("pooling", "max"),
                      meta["model"].get("window_vector", "mean"))
        missing, unexpected = model.load_state_dict(load_file(str(d / "heads.safetensors")), strict=False)
        missing = [k for k in missing if not k.startswith("encoder.")]
        if missing or unexpected:
            raise ValueError(f"heads.safetensors does not match the model (missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]})")
        if torch.cuda.is_available():
            model.to("cuda")
        model.eval()
        return cls(form, model, tokenizer, meta["model"])


