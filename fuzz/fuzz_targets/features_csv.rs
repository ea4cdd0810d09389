//! Arbitrary text as a features CSV (`ser features`' output, read by `ser train`, `eval` and
//! `run`): any input must parse or give an error naming a line, never a panic. A table that
//! parses is consistent: one label per row, finite values, classes sorted and distinct.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ser_data::Dataset;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Dataset::from_csv_str(text, "fuzz.csv") {
        Ok(set) => {
            let (rows, columns) = set.x.dim();
            assert!(rows > 0 && columns > 0);
            assert_eq!(set.labels.len(), rows);
            assert_eq!(set.paths.len(), rows);
            assert_eq!(set.speakers.len(), rows);
            assert_eq!(set.feature_names.len(), columns);
            assert!(set.x.iter().all(|v| v.is_finite()));
            assert!(set.classes.windows(2).all(|w| w[0] < w[1]));
            assert!(set.labels.iter().all(|&l| l < set.classes.len()));
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.csv: "), "{e}"),
    }
});
