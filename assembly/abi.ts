// THE seam between TypeScript and WASM: every slot of every table the two sides share, once.
// Plain `export const NAME = n;` lines, valid AssemblyScript and TypeScript: scripts/build.mjs
// copies this file to src/generated/abi.ts (with a content hash), so nothing lays slots out by hand.
// Tables are i32 slots; f32 values are stored as their bits; slots named *_PTR hold byte addresses
// into linear memory (tests find them by that suffix).

// ---- MODEL HEADER (H_SLOTS i32): the model's arena and the chunk being run ----------------------
export const H_SIMD = 0; // 1: SIMD kernels, 0: their _scalar twins
export const H_PARAMS_PTR = 1; // four regions of H_P floats with one layout: params | grads | m | v
export const H_GRADS_PTR = 2;
export const H_M_PTR = 3;
export const H_V_PTR = 4;
export const H_P = 5; // floats per region
export const H_NL = 6; // layer records in the program
export const H_PROGRAM_PTR = 7; // H_NL layer records of LR_SLOTS, bottom first
export const H_LOSS_PTR = 8; // the loss record (LS_SLOTS)
export const H_OPT_PTR = 9; // the optimizer record (OP_SLOTS)
export const H_NT = 10; // weight tensors
export const H_TT_PTR = 11; // tensor table: H_NT pairs (byte offset in a region, floats); clipnorm is per tensor
export const H_STATEFUL = 12; // 1: fit/evaluate/predict continue each sample's state slot (stateful: true)
export const H_BS = 13; // rows of each state block; sample j of a run uses slot j % H_BS
export const H_TCAP = 14; // the scratch holds chunks of up to H_TCAP steps ...
export const H_BCAP = 15; // ... and H_BCAP samples
export const H_SEQOUT = 16; // 1: the last layer outputs every step; targets and outputs are per step
export const H_D = 17; // input features per step
export const H_V = 18; // output units of the last layer
export const H_IDX_PTR = 19; // i32[BCAP]: data row of the chunk's sorted position p (longest first, stable)
export const H_POS_PTR = 20; // i32[BCAP]: position in the run of sorted position p
export const H_LEN_PTR = 21; // i32[BCAP]: real steps of sorted position p
export const H_INV_PTR = 22; // i32[BCAP]: sorted position of the chunk's j-th sample (run order)
export const H_ACT_PTR = 23; // i32[TCAP+1]: samples still running at step t: sorted positions [0, ACT[t])
export const H_OFF_PTR = 24; // i32[TCAP+1]: first packed row of step t; OFF[T] = R
export const H_X0_PTR = 25; // (R, D): the chunk's input steps, packed (step t's rows OFF[t] + p)
export const H_Y0_PTR = 26; // target rows in sorted order: (B, V), or (R, V) packed with sequence outputs
export const H_ROWSTATS_PTR = 27; // f64 (rows, 4) per output row: loss, correct, mean |err|, mean err²
export const H_B = 28; // the chunk being run: samples ...
export const H_T = 29; // ... its longest sample's steps ...
export const H_R = 30; // ... packed rows (the sum of its samples' steps) ...
export const H_EQUAL = 31; // ... 1 when all its samples have H_T steps ...
export const H_USESTATE = 32; // ... and 1 when its samples start from (and leave) their state slots
export const H_SLOTS = 36;

// Samples per chunk in training: a batch of more is run in chunks of CHUNK, their gradients summed
// in chunk order, so a result never depends on the scratch's capacity (or a future thread count).
export const CHUNK = 64;

// ---- LAYER RECORD (LR_SLOTS i32 per layer, bottom first) ------------------------------------------
// W*, S*, K*: their meaning is the kind's (see its assembly/layers/<kind>.ts header).
export const LR_KIND = 0; // KIND_*
export const LR_D = 1; // input features per row
export const LR_F = 2; // output features per row
export const LR_H = 3; // units (recurrent kinds)
export const LR_FLAGS = 4; // FL_* bits
export const LR_ACT = 5; // activation (ACT_*)
export const LR_RACT = 6; // recurrent (gate) activation (RACT_*)
export const LR_W0 = 7; // byte offsets of the kind's weights inside a region (params, grads, m, v alike)
export const LR_W1 = 8;
export const LR_W2 = 9;
export const LR_W3 = 10;
export const LR_S0_PTR = 11; // state blocks (H_BS rows) or 0
export const LR_S1_PTR = 12;
export const LR_X_PTR = 13; // input rows: (R, D) packed per step, or (B, D)
export const LR_Y_PTR = 14; // output rows: (R, F) or (B, F)
export const LR_DX_PTR = 15; // gradient w.r.t. the input rows, or 0 when nothing below needs it
export const LR_DY_PTR = 16; // gradient w.r.t. the output rows
export const LR_K0_PTR = 17; // K0..K7: the kind's scratch
export const LR_K1_PTR = 18;
export const LR_K2_PTR = 19;
export const LR_K3_PTR = 20;
export const LR_K4_PTR = 21;
export const LR_K5_PTR = 22;
export const LR_K6_PTR = 23;
export const LR_K7_PTR = 24;
export const LR_SLOTS = 28;

export const FL_SEQ_IN = 1; // the input has a row per step (packed), else one row per sample
export const FL_SEQ_OUT = 2; // the output has a row per step (returnSequences), else one per sample
export const FL_PACK = 4; // GEMMs read the weights from 16-column panels packed once per chunk

export const KIND_LSTM = 1;
export const KIND_DENSE = 4;

export const ACT_SOFTMAX = 0; // Dense activations
export const ACT_LINEAR = 1;
export const ACT_SIGMOID = 2;
export const ACT_TANH = 3;
export const ACT_RELU = 4;
export const RACT_SIGMOID = 0; // gate activations
export const RACT_HARD_SIGMOID = 1; // clip(0.2x + 0.5, 0, 1), Keras 2

// ---- LOSS RECORD (LS_SLOTS i32) ----------------------------------------------------------------
export const LS_KIND = 0; // LOSS_*
export const LS_ACC = 1; // accuracy: 0 argmax (categorical, sparse), 1 binary (mean of [p > 0.5] == y)
export const LS_METRICS = 2; // bit 0: mean absolute error, bit 1: mean squared error (into stats[3], [4])
export const LS_EPS = 3; // f32: cross-entropy probability clip (0: from the logits, Keras 3)
export const LS_SLOTS = 4;
export const LOSS_CCE = 0; // categorical cross-entropy (needs softmax; fused with it)
export const LOSS_SCCE = 1; // sparse categorical cross-entropy: targets are labels (fused with softmax)
export const LOSS_BCE = 2; // binary cross-entropy (needs sigmoid)
export const LOSS_MSE = 3;
export const LOSS_MAE = 4;

// ---- OPTIMIZER RECORD (OP_SLOTS i32) -----------------------------------------------------------
export const OP_KIND = 0; // OPT_*
export const OP_STEP = 1; // updates made (Adam's t)
export const OP_LR = 2; // f32 ...
export const OP_BETA1 = 3;
export const OP_BETA2 = 4;
export const OP_EPS = 5;
export const OP_MOMENTUM = 6;
export const OP_NESTEROV = 7; // i32
export const OP_RHO = 8; // f32
export const OP_CENTERED = 9; // i32
export const OP_RMS_INSIDE = 10; // i32: RMSprop's ε inside the root (Keras 3)
export const OP_CLIPNORM = 11; // f32, 0 = off
export const OP_CLIPVALUE = 12; // f32, 0 = off
export const OP_SLOTS = 16;
export const OPT_ADAM = 0;
export const OPT_SGD = 1;
export const OPT_RMSPROP = 2;

// ---- DATA DESCRIPTOR (DS_SLOTS i32): a dataset copied once into linear memory ----------------------
export const DS_N = 0; // samples
export const DS_TDATA = 1; // steps per sample in x (padded)
export const DS_X_PTR = 2; // (N, TDATA, D) floats
export const DS_Y_PTR = 3; // targets: (N, V), (N·TDATA, V) per step, labels (N) or (N·TDATA) for the sparse loss; 0: none
export const DS_STARTS_PTR = 4; // i32[N]: sample n runs steps starts[n] .. starts[n] + lens[n] of x
export const DS_LENS_PTR = 5; // i32[N]
export const DS_SLOTS = 8;

// The stats block: f64 [Σ loss, Σ correct, Σ samples, Σ mean |err|, Σ mean err²].
export const STATS = 5;
