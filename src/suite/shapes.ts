/**
 * Shapes of LLM layers, in one module, so every family (GEMM, GEMV, attention, KV cache) derives its
 * cases from the same model dimensions; a later workloads preset drives them from model configs.
 */

/** Dimensions of a decoder-only transformer that set the shapes of its kernels. */
export interface ModelDims {
  name: string;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** FFN inner size (gate/up output, down input). */
  intermediate: number;
  vocab: number;
}

/** Llama-3-8B-like: the default reference model (GQA 4:1, d=128). */
export const LLAMA3_8B: ModelDims = { name: 'llama3-8b', hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336, vocab: 128256 };

/** A linear layer y = x·Wᵀ with W stored [out, in] (framework layout). */
export interface LinearShape {
  /** Layer name: qkv, o, gate_up, down, lm_head. */
  layer: string;
  /** Output features (rows of W). */
  n: number;
  /** Input features (columns of W). */
  k: number;
}

/** The linear layers of one decoder block plus the LM head (QKV and gate/up fused as engines do). */
export function linearLayers(m: ModelDims): LinearShape[] {
  return [
    { layer: 'qkv', n: (m.heads + 2 * m.kvHeads) * m.headDim, k: m.hidden },
    { layer: 'o', n: m.hidden, k: m.heads * m.headDim },
    { layer: 'gate_up', n: 2 * m.intermediate, k: m.hidden },
    { layer: 'down', n: m.hidden, k: m.intermediate },
    { layer: 'lm_head', n: m.vocab, k: m.hidden },
  ];
}

/** Prompt lengths for prefill sweeps. */
export const PROMPT_LENGTHS = [128, 512, 1024, 2048, 4096] as const;

/** Context lengths for decode sweeps. */
export const CONTEXT_LENGTHS = [512, 1024, 2048, 4096, 8192, 16384, 32768] as const;

/** Decode batch sizes (skinny GEMM). */
export const DECODE_BATCHES = [1, 2, 4, 8, 16, 32, 64] as const;

/** Square GEMM sizes (M = N = K) of the prefill GEMM sweep. */
export const GEMM_SQUARE_SIZES = [512, 1024, 2048, 4096, 8192] as const;

/** One prefill GEMM: a prompt of `m` tokens through a linear layer with `n` outputs and `k` inputs. */
export interface PrefillGemmShape {
  layer: string;
  m: number;
  n: number;
  k: number;
}

/**
 * Prefill GEMMs of one decoder block's linear layers (QKV, O, gate/up, down) at each prompt length.
 * The LM head is left out: prefill needs logits of the last position only, a GEMV.
 */
export function prefillGemmShapes(model: ModelDims = LLAMA3_8B, prompts: readonly number[] = PROMPT_LENGTHS): PrefillGemmShape[] {
  return linearLayers(model)
    .filter((l) => l.layer !== 'lm_head')
    .flatMap((l) => prompts.map((m) => ({ layer: l.layer, m, n: l.n, k: l.k })));
}
