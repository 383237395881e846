/**
 * Peak dense throughput of the GPU models greenshift's pools use, TFLOPS, from the vendors'
 * datasheets. "Dense" is without 2:4 structured sparsity: the datasheets print the sparse figure
 * (twice the dense one) first, and no fine-tune or inference run here uses sparsity.
 */
export interface GpuPeak {
  /** The canonical model name. */
  model: string
  /** 16-bit tensor-core matmuls with FP32 accumulation (what mixed-precision training runs on), TFLOPS. */
  fp16: number
  /** BF16 tensor-core matmuls, TFLOPS; null: the GPU has no BF16 units (Volta, Turing). */
  bf16: number | null
  /** Plain FP32 (CUDA cores, no TF32: PyTorch leaves TF32 matmuls off by default since 1.12), TFLOPS. */
  fp32: number
  /** The document the figures come from. */
  source: string
}

interface Entry extends GpuPeak {
  /** Names as `normalizedGpuName` reduces them. */
  aliases: readonly string[]
}

const TABLE: readonly Entry[] = [
  // NVIDIA A100 Tensor Core GPU datasheet: BF16/FP16 tensor 312 TFLOPS (624 sparse), FP32 19.5.
  // The PCIe card and the 40 GB SXM module print the same peaks.
  { model: 'A100-SXM4-80GB', fp16: 312, bf16: 312, fp32: 19.5, source: 'NVIDIA A100 Tensor Core GPU datasheet', aliases: ['A100', 'A100SXM', 'A100PCIE'] },
  // NVIDIA H100 Tensor Core GPU datasheet, SXM column: BF16/FP16 tensor 1,979 TFLOPS sparse, so 989.5 dense; FP32 67.
  // A bare "H100" is read as SXM (the HGX form most clusters run); the PCIe card is below.
  { model: 'H100-SXM5-80GB', fp16: 989.5, bf16: 989.5, fp32: 67, source: 'NVIDIA H100 Tensor Core GPU datasheet (SXM)', aliases: ['H100SXM', 'H100'] },
  // Same datasheet, PCIe column: 1,513 sparse, so 756.5 dense; FP32 51.
  { model: 'H100-PCIe-80GB', fp16: 756.5, bf16: 756.5, fp32: 51, source: 'NVIDIA H100 Tensor Core GPU datasheet (PCIe)', aliases: ['H100PCIE'] },
  // NVIDIA L40S GPU datasheet: BF16/FP16 tensor 362.05 TFLOPS dense (733 sparse); FP32 91.6.
  { model: 'L40S', fp16: 362.05, bf16: 362.05, fp32: 91.6, source: 'NVIDIA L40S GPU datasheet', aliases: ['L40S'] },
  // NVIDIA RTX A4000 datasheet: tensor performance 153.4 TFLOPS (sparse), so 76.7 dense; FP32 19.2.
  // Professional Ampere cards run FP16 with FP32 accumulation at the full tensor rate.
  { model: 'RTX-A4000', fp16: 76.7, bf16: 76.7, fp32: 19.2, source: 'NVIDIA RTX A4000 datasheet', aliases: ['A4000'] },
  // NVIDIA A10 Tensor Core GPU datasheet: BF16/FP16 tensor 125 TFLOPS (250 sparse), FP32 31.2.
  { model: 'A10', fp16: 125, bf16: 125, fp32: 31.2, source: 'NVIDIA A10 Tensor Core GPU datasheet', aliases: ['A10'] },
  // NVIDIA Tesla V100 GPU datasheet, SXM2 column: tensor 125 TFLOPS, FP32 15.7; Volta has no BF16.
  // A bare "V100" is read as SXM2 (DGX-1/2, most cloud instances).
  { model: 'V100-SXM2', fp16: 125, bf16: null, fp32: 15.7, source: 'NVIDIA Tesla V100 GPU datasheet (SXM2)', aliases: ['V100SXM', 'V100'] },
  // Same datasheet, PCIe column: tensor 112, FP32 14.
  { model: 'V100-PCIe', fp16: 112, bf16: null, fp32: 14, source: 'NVIDIA Tesla V100 GPU datasheet (PCIe)', aliases: ['V100PCIE'] },
  // NVIDIA T4 Tensor Core GPU datasheet: mixed-precision (FP16/FP32) tensor 65 TFLOPS, FP32 8.1; Turing has no BF16.
  { model: 'T4', fp16: 65, bf16: null, fp32: 8.1, source: 'NVIDIA T4 Tensor Core GPU datasheet', aliases: ['T4'] },
  // NVIDIA Ada Lovelace GPU architecture whitepaper, RTX 4090 column: FP16/BF16 tensor with FP32
  // accumulate 165.2 TFLOPS dense (GeForce halves it against FP16 accumulate's 330.3); FP32 82.6.
  { model: 'RTX-4090', fp16: 165.2, bf16: 165.2, fp32: 82.6, source: 'NVIDIA Ada Lovelace GPU Architecture whitepaper (GeForce RTX 4090)', aliases: ['4090'] }
]

/**
 * A GPU name reduced to what tells models apart: upper case, without the vendor and brand words,
 * the memory size and type and separators, SXM2/4/5 as SXM. "NVIDIA RTX A4000", "rtx-a4000" and
 * "A4000" are all "A4000"; "A100-SXM4-80GB" and "a100 sxm 40gb" are "A100SXM"; "NVIDIA H100 80GB
 * HBM3" is "H100".
 */
export function normalizedGpuName (name: string): string {
  return name.toUpperCase()
    .replace(/(^|[^A-Z0-9])\d+\s*GB\b/g, '$1')
    .replace(/SXM\d/g, 'SXM')
    // The memory type: nvidia-smi names the H100 SXM "NVIDIA H100 80GB HBM3" (the PCIe card "H100 PCIe").
    .replace(/\bHBM\d+E?\b/g, '')
    .replace(/\b(NVIDIA|TESLA|GEFORCE|RTX|TENSOR\s*CORE|GPU)\b/g, '')
    .replace(/[^A-Z0-9]/g, '')
}

/** The peaks of a GPU model by any usual spelling of its name; undefined when the table lacks it. */
export function gpuPeak (name: string): GpuPeak | undefined {
  const key = normalizedGpuName(name)
  const entry = TABLE.find(e => e.aliases.includes(key))
  if (entry === undefined) return undefined
  return { model: entry.model, fp16: entry.fp16, bf16: entry.bf16, fp32: entry.fp32, source: entry.source }
}

/** The canonical names of the GPU models the table knows. */
export const KNOWN_GPUS: readonly string[] = TABLE.map(e => e.model)
