// The component's entry module: the world's `log` for the helpers, and the exported handler.

import { log } from 'wasmtime:function/log@1.0.0';
import * as xfn from './xfn.js';
import { compose } from './compose.js';

xfn.useLog(log);

export const handler = xfn.handler(compose);
