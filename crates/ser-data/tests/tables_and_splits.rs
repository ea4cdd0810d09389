//! Tests of tables, extraction and splits on small data made here.

#![allow(clippy::unwrap_used)]

use ser_data::{Dataset, SplitSpec, leave_one_speaker_out, stratified_kfold, stratified_split};

fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("features.csv");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn reads_what_ser_features_writes() {
    let (_dir, path) = write(
        "path,label,speaker,mfcc_0,mfcc_1,tuning\n\
         \"a, b.wav\",sadness,03,1.5,-2,0.01\n\
         c.wav,anger,10,0.25,4e-3,-0.1\n\
         d.wav,sadness,,7,8,0\n",
    );
    let data = Dataset::from_csv(&path).unwrap();
    assert_eq!(data.classes, vec!["anger", "sadness"]);
    assert_eq!(data.labels, vec![1, 0, 1]);
    assert_eq!(data.feature_names, vec!["mfcc_0", "mfcc_1"]);
    assert_eq!(
        data.x,
        ndarray::array![[1.5f32, -2.0], [0.25, 0.004], [7.0, 8.0]]
    );
    assert_eq!(
        data.speakers,
        vec![Some("03".into()), Some("10".into()), None]
    );
    assert_eq!(data.paths[0], "a, b.wav");
    let sub = data.subset(&[2, 0]);
    assert_eq!(sub.labels, vec![1, 1]);
    assert_eq!(sub.classes, data.classes);
}

#[test]
fn a_dataset_straight_from_audio() {
    use ser_data::corpus::{self, CorpusKind};
    use ser_data::{Source, extract};
    use ser_features::{FeatureConfig, FeatureExtractor, encode_wav_pcm16};
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in ["03a01Wa.wav", "03a02Ta.wav", "08b01Wb.wav"]
        .iter()
        .enumerate()
    {
        let tone: Vec<f32> = (0..8000)
            .map(|t| (t as f32 * 0.03 * (i + 1) as f32).sin() * 0.3)
            .collect();
        std::fs::write(dir.path().join(name), encode_wav_pcm16(&tone, 16_000)).unwrap();
    }
    std::fs::write(dir.path().join("08b02Nc.wav"), b"RIFF, but not really").unwrap();
    let listing = corpus::load(&[dir.path().to_path_buf()], &CorpusKind::Emodb).unwrap();
    let extractor = FeatureExtractor::new(FeatureConfig::default()).unwrap();
    let extraction = extract(Source::files(listing), &extractor, None, &|| {});
    assert_eq!(extraction.failures.len(), 1);
    assert!(extraction.failures[0].1.to_string().contains("08b02Nc.wav"));
    let data = extraction.into_dataset().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data.classes, vec!["anger", "sadness"]);
    assert_eq!(data.x.ncols(), 180);
    assert_eq!(data.speakers[2].as_deref(), Some("08"));
    let unlabelled = corpus::load(&[dir.path().to_path_buf()], &CorpusKind::None).unwrap();
    let err = extract(Source::files(unlabelled), &extractor, None, &|| {})
        .into_dataset()
        .unwrap_err()
        .to_string();
    assert!(err.contains("no label"), "{err}");
}

#[test]
fn malformed_csvs_name_the_line() {
    let cases = [
        ("", "empty"),
        ("path,label,mfcc_0\na,b,1\n", "header"),
        ("path,label,speaker,f\na.wav,x,s,1\nb.wav,y,s\n", "line 3"),
        ("path,label,speaker,f\na.wav,x,s,1,2\n", "line 2"),
        (
            "path,label,speaker,f\na.wav,x,s,abc\n",
            "line 2: `f` is `abc`, not a number",
        ),
        (
            "path,label,speaker,f\na.wav,x,s,NaN\n",
            "line 2: `f` is NaN, not a finite number",
        ),
        ("path,label,speaker,f\na.wav,,s,1\n", "no label"),
        ("path,label,speaker,f\n", "no rows"),
        // The header's own line, after blank lines.
        ("\n\npath,label,speaker\n", "line 3: expected the header"),
    ];
    for (text, expected) in cases {
        let (_dir, path) = write(text);
        let err = Dataset::from_csv(&path).unwrap_err().to_string();
        assert!(err.contains(expected), "{text:?}: {err}");
        // Every message starts with the file's name.
        let from_str = Dataset::from_csv_str(text, "the.csv")
            .unwrap_err()
            .to_string();
        assert!(from_str.starts_with("the.csv: "), "{text:?}: {from_str}");
    }
}

#[test]
fn stratified_split_is_proportional_disjoint_and_seeded() {
    // Uneven classes: 100, 50, 27.
    let labels: Vec<usize> = (0..177)
        .map(|i| {
            if i < 100 {
                0
            } else if i < 150 {
                1
            } else {
                2
            }
        })
        .collect();
    let split = stratified_split(&labels, 0.1, 3).unwrap();
    assert_eq!(split.test.len(), 18); // ceil(17.7)
    let count = |rows: &[usize], c| rows.iter().filter(|&&i| labels[i] == c).count();
    assert_eq!(
        [
            count(&split.test, 0),
            count(&split.test, 1),
            count(&split.test, 2)
        ],
        [10, 5, 3]
    );
    let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..177).collect::<Vec<_>>());
    assert_eq!(split, stratified_split(&labels, 0.1, 3).unwrap());
    assert_ne!(split, stratified_split(&labels, 0.1, 4).unwrap());
    assert!(stratified_split(&labels, 0.0, 3).is_err());
    assert!(stratified_split(&labels, 1.0, 3).is_err());
}

#[test]
fn kfold_partitions_every_row_once_with_balanced_classes() {
    let labels: Vec<usize> = (0..103).map(|i| i % 4).collect();
    let folds = stratified_kfold(&labels, 5, 9).unwrap();
    let mut seen = vec![0; labels.len()];
    for fold in &folds {
        assert_eq!(fold.train.len() + fold.test.len(), labels.len());
        for &i in &fold.test {
            seen[i] += 1;
        }
        for c in 0..4 {
            let n = fold.test.iter().filter(|&&i| labels[i] == c).count();
            assert!((5..=6).contains(&n), "class {c}: {n}");
        }
    }
    assert!(seen.iter().all(|&s| s == 1));
    assert_eq!(folds, stratified_kfold(&labels, 5, 9).unwrap());
    assert!(stratified_kfold(&labels, 1, 9).is_err());
}

#[test]
fn leave_one_speaker_out_needs_speakers() {
    let speakers = vec![
        Some("b".to_string()),
        Some("a".into()),
        Some("b".into()),
        Some("c".into()),
    ];
    let folds = leave_one_speaker_out(&speakers).unwrap();
    let names: Vec<&str> = folds.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(folds[1].1.test, vec![0, 2]);
    assert_eq!(folds[1].1.train, vec![1, 3]);
    let none = leave_one_speaker_out(&[None, None]).unwrap_err();
    assert!(none.to_string().contains("no speakers"));
    assert!(leave_one_speaker_out(&[Some("a".into()), None]).is_err());
    assert!(leave_one_speaker_out(&[Some("a".into()), Some("a".into())]).is_err());
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_header() {
    let text = "\u{feff}path,label,speaker,f\r\na.wav,anger,03,1\r\n";
    let data = Dataset::from_csv_str(text, "excel.csv").unwrap();
    assert_eq!(data.feature_names, ["f"]);
    assert_eq!(data.paths, ["a.wav"]);
}

/// 24 rows: 4 speakers of 6 rows, 3 classes dealt round.
fn speakers_data() -> Dataset {
    let labels: Vec<String> = (0..24).map(|i| format!("c{}", i % 3)).collect();
    Dataset::from_rows(
        ndarray::Array2::zeros((24, 1)),
        &labels,
        (0..24).map(|i| Some(format!("s{}", i / 6))).collect(),
        (0..24).map(|i| format!("{i}.wav")).collect(),
        vec!["f".into()],
    )
    .unwrap()
}

#[test]
fn seeds_0_to_k_minus_1_run_one_whole_cross_validation() {
    let data = speakers_data();
    for (spec, folds) in [(SplitSpec::KFold(4), 4), (SplitSpec::Loso, 4)] {
        let mut seen = vec![0; data.len()];
        for seed in 0..folds {
            let split = spec.for_seed(&data, seed).unwrap();
            assert_eq!(split.train.len() + split.test.len(), data.len(), "{spec}");
            for &r in &split.test {
                seen[r] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "{spec}: {seen:?}");
        // ... and the folds `ser train` trains are the same ones.
        let all = spec.folds(&data, 0).unwrap();
        assert_eq!(all.len(), folds as usize);
        for (seed, (_, split)) in all.iter().enumerate() {
            assert_eq!(*split, spec.for_seed(&data, seed as u64).unwrap(), "{spec}");
        }
    }
    // Leave one speaker out holds out exactly one speaker, seed by seed.
    let split = SplitSpec::Loso.for_seed(&data, 5).unwrap();
    assert_eq!(split.test, (6..12).collect::<Vec<_>>());
}

#[test]
fn a_share_of_the_speakers_is_held_out_whole() {
    let data = speakers_data();
    let spec: SplitSpec = "speakers:0.5".parse().unwrap();
    let split = spec.for_seed(&data, 3).unwrap();
    assert_eq!(split.test.len(), 12);
    let test_speakers: std::collections::BTreeSet<_> =
        split.test.iter().map(|&r| &data.speakers[r]).collect();
    assert_eq!(test_speakers.len(), 2);
    assert!(
        split
            .train
            .iter()
            .all(|&r| !test_speakers.contains(&data.speakers[r]))
    );
    assert_eq!(split, spec.for_seed(&data, 3).unwrap());
}

#[test]
fn split_words_parse_print_and_refuse() {
    for text in ["random", "random:0.2", "kfold:5", "speakers:0.1", "loso"] {
        let spec: SplitSpec = text.parse().unwrap();
        assert_eq!(spec.to_string(), text);
    }
    for (bad, said) in [
        ("speaker", "loso"),
        ("kfold:1", "K must be"),
        ("kfold:x", "K must be"),
        ("speakers:1.5", "(0, 1)"),
        ("random:0", "(0, 1)"),
        ("holdout", "kfold:K"),
    ] {
        let err = bad.parse::<SplitSpec>().unwrap_err().to_string();
        assert!(err.contains(said), "{bad}: {err}");
    }
    // A row without a speaker is named, for every speaker split.
    let one_missing =
        Dataset::from_csv_str("path,label,speaker,f\na,x,s1,1\nb,y,,2\nc,x,s2,3\n", "t").unwrap();
    for spec in [SplitSpec::Loso, SplitSpec::Speakers { fraction: 0.5 }] {
        let err = spec.for_seed(&one_missing, 0).unwrap_err().to_string();
        assert!(err.contains("(b is one)"), "{spec}: {err}");
    }
    let no_speakers = Dataset::from_csv_str("path,label,speaker,f\na,x,,1\nb,y,,2\n", "t").unwrap();
    let err = SplitSpec::Loso.for_seed(&no_speakers, 0).unwrap_err();
    assert!(err.to_string().contains("no speakers"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_path_that_is_not_utf8_is_skipped_with_a_reason_not_renamed() {
    use ser_data::corpus::{self, CorpusKind};
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let wav = ser_features::encode_wav_pcm16(&[0.1; 1600], 16_000);
    let bad = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"take\xff.wav"));
    std::fs::write(&bad, &wav).unwrap();
    std::fs::write(dir.path().join("take.wav"), &wav).unwrap();
    let listing = corpus::load(&[dir.path().to_path_buf()], &CorpusKind::None).unwrap();
    assert_eq!(listing.files.len(), 1);
    assert_eq!(listing.files[0].path, dir.path().join("take.wav"));
    assert_eq!(listing.skipped.len(), 1);
    assert_eq!(listing.skipped[0].path, bad);
    assert!(listing.skipped[0].reason.contains("not valid UTF-8"));
}

#[test]
fn a_large_table_is_written_row_for_row_in_order() {
    use ser_data::corpus::LabelledFile;
    use ser_data::csv::{FeatureRow, write_features};
    use ser_data::{Extracted, Extraction, Source};
    // More rows than one block of the parallel writer, with quoted names and odd values.
    let rows: Vec<(Source, Extracted)> = (0..2500)
        .map(|i| {
            let file = LabelledFile {
                path: format!("dir/f{i},\"x\".wav").into(),
                label: (i % 3 != 0).then(|| format!("l{}", i % 7)),
                speaker: (i % 5 != 0).then(|| format!("s{}", i % 4)),
            };
            let vector = (0..5).map(|j| (i * 5 + j) as f32 * 1.0e-3 - 0.7).collect();
            let tuning = (i % 2 == 0).then_some(i as f64 * 0.001 - 0.5);
            (
                Source::File(file),
                Extracted {
                    vector,
                    tuning,
                    sample_rate: 16_000,
                },
            )
        })
        .collect();
    let names: Vec<String> = (0..5).map(|j| format!("f{j}")).collect();
    let extraction = Extraction {
        rows,
        failures: Vec::new(),
        cache_hits: 0,
        feature_names: names.clone(),
    };
    for with_tuning in [false, true] {
        let mut written = Vec::new();
        extraction.write_csv(&mut written, with_tuning).unwrap();
        let sources: Vec<(String, &Source, &Extracted)> = extraction
            .rows
            .iter()
            .map(|(s, x)| (s.name(), s, x))
            .collect();
        let mut expected = Vec::new();
        let rows = sources.iter().map(|(name, s, x)| FeatureRow {
            path: name,
            label: s.label(),
            speaker: s.speaker(),
            values: &x.vector,
            tuning: x.tuning,
        });
        write_features(&mut expected, &names, with_tuning, rows).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }
}
