//! The end-to-end suite: one test binary, one module per topic.

mod e2e;
