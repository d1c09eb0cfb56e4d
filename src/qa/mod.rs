//! QA baselines (spec 03 §2.3, §4.4, §4.5, §5, §6, schemas §4, contract D7): log parsers and the
//! comparison of QA results.

pub mod compare;
pub mod ingest;
pub mod parse;
