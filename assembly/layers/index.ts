// The layer kinds' dispatch: one case per KIND_* of abi.ts in forward and backward.
import { LR_KIND, KIND_LSTM, KIND_DENSE } from '../abi';
import { slot } from '../slots';
import { lstm_layer_forward, lstm_layer_backward } from './lstm';
import { dense_layer_forward, dense_layer_backward } from './dense';

/** Forward for record r over the chunk; `lossTop`: the loss applies this (top) layer's activation. */
export function layer_forward(model: usize, r: usize, lossTop: bool): void {
  switch (slot(r, LR_KIND)) {
    case KIND_LSTM: lstm_layer_forward(model, r); break;
    case KIND_DENSE: dense_layer_forward(model, r, lossTop); break;
    default: unreachable();
  }
}

/** Backward for record r; `dzReady`: the loss already wrote the top layer's pre-activation gradient. */
export function layer_backward(model: usize, r: usize, dzReady: bool): void {
  switch (slot(r, LR_KIND)) {
    case KIND_LSTM: lstm_layer_backward(model, r); break;
    case KIND_DENSE: dense_layer_backward(model, r, dzReady); break;
    default: unreachable();
  }
}
