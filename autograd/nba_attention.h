/* nba_attention.h — the attention op's test hook: which path nb_scaled_dot_product_attention takes
 * (tests compare the fused kernel with the composed differentiable ops on the same inputs). */
#ifndef NBA_ATTENTION_H
#define NBA_ATTENTION_H

/* 0: automatic (fused where it applies), 1: always composed, 2: fused wherever it applies. */
extern int nba_sdpa_path;
/* Calls that ran the fused kernel forward / backward (tests check which path ran). */
extern long nba_sdpa_fused_fw, nba_sdpa_fused_bw;

#endif
