//! The baseline multilayer perceptron of ser-adaptive.
//!
//! This crate will hold (issue 3): dense layers with ReLU and dropout, a softmax output,
//! softmax cross-entropy, Adam, mini-batch training with early stopping on validation loss,
//! input standardisation fitted on the training split, seeded and bit-reproducible
//! initialisation, datasets and reproducible splits (stratified random, stratified k-fold,
//! leave-one-speaker-out), metrics (WA, UA, macro-F1, confusion matrix) and self-describing,
//! checksummed model files.
//!
//! It holds no API yet: nothing here is a placeholder.
