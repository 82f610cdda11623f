"""Hand-derived stored bytes of the Llama-3.1-8B checkpoint layouts in models.py, shared by the hub tests.

Reference shape: Llama-3.1-8B (meta-llama/Llama-3.1-8B config.json; hand count in tests/plugin/mcp/
test_server.py): 8,030,261,248 parameters. Per decoder layer, Linear weights (out x in):
q 4096x4096, k 1024x4096, v 1024x4096, o 4096x4096, gate 14336x4096, up 14336x4096, down 4096x14336,
218,103,808 elements; 32 layers = 6,979,321,856. Embedding and untied LM head 128256 x 4096 = 525,336,576
each; RMSNorms 4096 x (2 x 32 + 1) = 266,240.
"""

LINEAR = 6_979_321_856  # 32 x 218,103,808 (above)
EMB = 128256 * 4096  # = 525,336,576
NORMS = 4096 * (2 * 32 + 1)  # = 266,240
SIXTEEN_BIT = (2 * EMB + NORMS) * 2  # embeddings, LM head and norms stay 16-bit = 2,101,878,784 B

# FP8 block-scaled, 128x128 blocks: one byte per weight + one fp32 scale per block,
# ceil(out/128) x ceil(in/128) per Linear: q 32x32, k 8x32, v 8x32, o 32x32, gate 112x32, up 112x32,
# down 32x112 = 13,312 scales per layer.
FP8_SCALES = 32 * (32 * 32 + 8 * 32 + 8 * 32 + 32 * 32 + 3 * 112 * 32) * 4  # = 1,703,936 B
FP8_TOTAL = LINEAR * 1 + FP8_SCALES + SIXTEEN_BIT  # = 9,082,904,576 B
# GPTQ 4-bit, group 128, per Linear (in K, out N): qweight K*N/2, qzeros (K/128)(N/8) int32 = K*N/256,
# scales (K/128) x N fp16 = K*N/64, g_idx K int32 (inputs: six Linears read 4096, down reads 14336).
G_IDX = 32 * (6 * 4096 + 14336) * 4  # = 4,980,736 B
GPTQ_TOTAL = LINEAR // 2 + LINEAR // 256 + LINEAR // 64 + G_IDX + SIXTEEN_BIT  # = 5,732,835,328 B
AWQ_TOTAL = LINEAR // 2 + LINEAR // 256 + LINEAR // 64 + SIXTEEN_BIT  # AWQ GEMM has no g_idx: 5,727,854,592 B
PARAMS = 8_030_261_248
