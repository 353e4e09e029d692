#!/usr/bin/python3
"""Exports small transformer language models to ONNX with torch.onnx.export.

Usage: python3 bench/make_transformer_models.py OUT_DIR [--hidden 512] [--layers 2]

The modules are written here the way Qwen2, Qwen3 and BERT write theirs (no
model hub is reachable, nothing is downloaded; weights are seeded random):

  qwen2_decoder      token embedding, RMSNorm, rotary position embedding with
                     rotate_half, grouped-query attention (2 query heads per
                     key/value head, q/k/v biases) with a causal mask,
                     SiLU-gated MLP, LM head tied to the embedding; opset 14
  qwen3_decoder      the same with Qwen3's per-head q/k RMSNorm, no q/k/v
                     biases and an untied LM head; opset 17
  *_decoder_kv       the same modules exported with past key/values in and
                     present key/values out (past_key_I/past_value_I,
                     present_key_I/present_value_I, (1, kv_heads, T, head_dim))
  qwen3_classifier   the Qwen3 decoder with last-token pooling and a linear
                     head of 6 classes (an intent classifier)
  bert_encoder       token and position embeddings, post-LayerNorm encoder
                     layers with GELU, the padding mask computed from the ids
                     (id 0 is padding), and a pooled tanh head

Every sequence length is a dynamic axis, as exporters write them: the shape
arithmetic (Shape, Gather, Concat, Range, Trilu, Where, Expand, ...) is in the
graph, and lathe folds it once --input-shape fixes the lengths.
"""
import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 1024


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(dim))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, position_ids):
        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


class GroupedQueryAttention(nn.Module):
    def __init__(self, hidden, heads, kv_heads, qk_norm):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, hidden // heads
        self.q_proj = nn.Linear(hidden, heads * self.head_dim, bias=not qk_norm)
        self.k_proj = nn.Linear(hidden, kv_heads * self.head_dim, bias=not qk_norm)
        self.v_proj = nn.Linear(hidden, kv_heads * self.head_dim, bias=not qk_norm)
        self.o_proj = nn.Linear(heads * self.head_dim, hidden, bias=False)
        self.qk_norm = qk_norm
        if qk_norm:
            self.q_norm, self.k_norm = RMSNorm(self.head_dim), RMSNorm(self.head_dim)

    def repeat_kv(self, x):
        batch, kv_heads, length, head_dim = x.shape
        rep = self.heads // self.kv_heads
        x = x[:, :, None, :, :].expand(batch, kv_heads, rep, length, head_dim)
        return x.reshape(batch, kv_heads * rep, length, head_dim)

    def forward(self, x, cos, sin, past_key=None, past_value=None):
        batch, length, _ = x.shape
        q = self.q_proj(x).view(batch, length, self.heads, self.head_dim)
        k = self.k_proj(x).view(batch, length, self.kv_heads, self.head_dim)
        v = self.v_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_key is not None:
            k = torch.cat([past_key, k], dim=2)
            v = torch.cat([past_value, v], dim=2)
        present = (k, v)
        total = k.shape[2]
        scores = torch.matmul(q, self.repeat_kv(k).transpose(2, 3)) / math.sqrt(self.head_dim)
        causal = torch.full((length, total), float("-inf")).triu(total - length + 1)
        probs = F.softmax(scores + causal, dim=-1)
        out = torch.matmul(probs, self.repeat_kv(v)).transpose(1, 2).reshape(batch, length, -1)
        return self.o_proj(out), present


class SwiGLU(nn.Module):
    def __init__(self, hidden, intermediate):
        super().__init__()
        self.gate_proj = nn.Linear(hidden, intermediate, bias=False)
        self.up_proj = nn.Linear(hidden, intermediate, bias=False)
        self.down_proj = nn.Linear(intermediate, hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, hidden, heads, kv_heads, intermediate, qk_norm):
        super().__init__()
        self.input_norm, self.post_attention_norm = RMSNorm(hidden), RMSNorm(hidden)
        self.attn = GroupedQueryAttention(hidden, heads, kv_heads, qk_norm)
        self.mlp = SwiGLU(hidden, intermediate)

    def forward(self, x, cos, sin, past_key=None, past_value=None):
        attended, present = self.attn(self.input_norm(x), cos, sin, past_key, past_value)
        x = x + attended
        return x + self.mlp(self.post_attention_norm(x)), present


class Decoder(nn.Module):
    def __init__(self, hidden, layers, qk_norm, tied, classes=0):
        super().__init__()
        heads = hidden // 64
        self.kv_heads, self.head_dim = heads // 2, 64
        self.embed_tokens = nn.Embedding(VOCAB, hidden)
        self.rotary = RotaryEmbedding(self.head_dim)
        self.layers = nn.ModuleList(
            [DecoderLayer(hidden, heads, self.kv_heads, 2 * hidden, qk_norm) for _ in range(layers)])
        self.norm = RMSNorm(hidden)
        self.classes = classes
        if classes:
            self.score = nn.Linear(hidden, classes)
        elif not tied:
            self.lm_head = nn.Linear(hidden, VOCAB, bias=False)
        self.tied = tied

    def forward(self, input_ids, past=()):
        length = input_ids.shape[1]
        start = past[0].shape[2] if past else 0
        position_ids = torch.arange(start, start + length, dtype=torch.long).unsqueeze(0)
        cos, sin = self.rotary(position_ids)
        x = self.embed_tokens(input_ids)
        presents = []
        for i, layer in enumerate(self.layers):
            x, kv = layer(x, cos, sin, *(past[2 * i:2 * i + 2] if past else ()))
            presents += kv
        x = self.norm(x)
        if self.classes:
            return self.score(x[:, -1, :]), presents
        logits = F.linear(x, self.embed_tokens.weight) if self.tied else self.lm_head(x)
        return logits, presents


class WithoutCache(nn.Module):
    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, input_ids):
        return self.decoder(input_ids)[0]


class WithCache(nn.Module):
    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, input_ids, *past):
        logits, presents = self.decoder(input_ids, past)
        return (logits, *presents)


class BertEncoder(nn.Module):
    def __init__(self, hidden, layers, max_positions=512):
        super().__init__()
        self.word = nn.Embedding(VOCAB, hidden)
        self.position = nn.Embedding(max_positions, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        layer = nn.TransformerEncoderLayer(hidden, hidden // 64, 4 * hidden, dropout=0.0,
                                           activation="gelu", batch_first=True)
        self.heads = hidden // 64
        self.layers = nn.ModuleList([layer] + [nn.TransformerEncoderLayer(
            hidden, hidden // 64, 4 * hidden, dropout=0.0, activation="gelu", batch_first=True)
            for _ in range(layers - 1)])
        self.pooler = nn.Linear(hidden, hidden)

    def forward(self, input_ids):
        length = input_ids.shape[1]
        positions = torch.arange(length, dtype=torch.long).unsqueeze(0)
        x = self.norm(self.word(input_ids) + self.position(positions))
        # BERT's extended attention mask: 0 where a token is real, the float
        # minimum where it is padding (id 0), added to every head's scores.
        keep = (input_ids != 0).float()
        mask = ((1.0 - keep) * torch.finfo(torch.float32).min)[:, None, None, :]
        for layer in self.layers:
            x = self.attention_block(layer, x, mask)
        return x, torch.tanh(self.pooler(x[:, 0]))

    def attention_block(self, layer, x, mask):
        # nn.TransformerEncoderLayer's own forward exports a fused fast path
        # on some versions; the explicit form is what BERT exports write.
        attn = layer.self_attn
        batch, length, hidden = x.shape
        heads, head_dim = self.heads, hidden // self.heads
        qkv = F.linear(x, attn.in_proj_weight, attn.in_proj_bias)
        q, k, v = qkv.split(hidden, dim=-1)
        q = q.view(batch, length, heads, head_dim).transpose(1, 2)
        k = k.view(batch, length, heads, head_dim).transpose(1, 2)
        v = v.view(batch, length, heads, head_dim).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(head_dim) + mask
        context = torch.matmul(F.softmax(scores, dim=-1), v).transpose(1, 2).reshape(batch, length, hidden)
        x = layer.norm1(x + attn.out_proj(context))
        return layer.norm2(x + layer.linear2(F.gelu(layer.linear1(x))))


def export_decoder(out_dir, name, hidden, layers, qk_norm, tied, opset, classes=0):
    torch.manual_seed(2026)
    decoder = Decoder(hidden, layers, qk_norm, tied, classes).eval()
    ids = torch.randint(0, VOCAB, (1, 8))
    torch.onnx.export(WithoutCache(decoder), (ids,), os.path.join(out_dir, f"{name}.onnx"),
                      opset_version=opset, input_names=["input_ids"],
                      output_names=["logits"], dynamic_axes={"input_ids": {1: "sequence"}})
    if classes:
        return
    past_names = [f"past_{kv}_{i}" for i in range(layers) for kv in ("key", "value")]
    present_names = [f"present_{kv}_{i}" for i in range(layers) for kv in ("key", "value")]
    past = tuple(torch.zeros(1, decoder.kv_heads, 3, decoder.head_dim) for _ in past_names)
    axes = {"input_ids": {1: "sequence"}}
    axes.update({n: {2: "past_sequence"} for n in past_names})
    axes.update({n: {2: "total_sequence"} for n in present_names})
    torch.onnx.export(WithCache(decoder), (ids, *past), os.path.join(out_dir, f"{name}_kv.onnx"),
                      opset_version=opset, input_names=["input_ids", *past_names],
                      output_names=["logits", *present_names], dynamic_axes=axes)


def export_encoder(out_dir, hidden, layers):
    torch.manual_seed(2026)
    encoder = BertEncoder(hidden, layers).eval()
    ids = torch.randint(0, VOCAB, (1, 8))
    torch.onnx.export(encoder, (ids,), os.path.join(out_dir, "bert_encoder.onnx"), opset_version=14,
                      input_names=["input_ids"], output_names=["hidden_states", "pooled"],
                      dynamic_axes={"input_ids": {1: "sequence"}})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=2)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    with torch.no_grad():
        export_decoder(args.out_dir, "qwen2_decoder", args.hidden, args.layers, qk_norm=False,
                       tied=True, opset=14)
        export_decoder(args.out_dir, "qwen3_decoder", args.hidden, args.layers, qk_norm=True,
                       tied=False, opset=17)
        export_decoder(args.out_dir, "qwen3_classifier", args.hidden, args.layers, qk_norm=True,
                       tied=False, opset=17, classes=6)
        export_encoder(args.out_dir, args.hidden, args.layers)


if __name__ == "__main__":
    main()
