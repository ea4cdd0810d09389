//! Long recordings: a file decoded a packet at a time through a stream, one prediction per
//! window, in memory bounded by the window.

use std::path::Path;

use ser_features::AudioReader;

use crate::error::RecognizeError;
use crate::recognizer::{Recognizer, in_file};
use crate::stream::{StreamConfig, StreamEnd, WindowPrediction};

impl Recognizer {
    /// The emotion of every analysis window of an audio file of any length, each given to
    /// `on_window` as soon as it is complete. The file is decoded a packet at a time, so an hour
    /// of audio takes the memory of one window. A file cut short gives its windows, then the
    /// error saying so; an error of `on_window` (of any type that takes a [`RecognizeError`])
    /// stops the reading and is returned.
    ///
    /// ```
    /// # use ser_recognize::{Recognizer, StreamConfig};
    /// # let dir = tempfile::tempdir()?;
    /// # let (model_path, wav) = (dir.path().join("model.sermodel"), dir.path().join("call.wav"));
    /// # let x = ndarray::Array2::from_shape_fn((4, 180), |(i, j)| ((i * 7 + j) % 5) as f32);
    /// # let training = ser_model::TrainingInfo { seed: 0, epochs: 0, best_epoch: 0, train_rows: 4, sample_rates: vec![16_000] };
    /// # ser_model::Model::new(ser_model::Network::F32(ser_mlp::Mlp::new(180, &[8], 2, 0.0, 1)?), ser_mlp::Standardizer::fit(x.view())?, vec!["calm".into(), "anger".into()], ser_features::FeatureConfig::default(), Some(training))?.save(&model_path)?;
    /// # let tone: Vec<f32> = (0..10 * 16_000).map(|i| (i as f32 * 0.07).sin() * 0.3).collect();
    /// # std::fs::write(&wav, ser_features::encode_wav_pcm16(&tone, 16_000))?;
    /// let recognizer = Recognizer::load(&model_path)?;
    /// let mut rows = Vec::new();
    /// let end = recognizer.timeline_file(&wav, StreamConfig::default(), &mut |w| {
    ///     rows.push(w);
    ///     Ok::<(), ser_recognize::RecognizeError>(())
    /// })?;
    /// // Ten seconds: windows starting at 0, 1, ..., 7 s.
    /// assert_eq!((rows.len(), end.windows, end.duration), (8, 8, 10.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeline_file<E: From<RecognizeError>>(
        &self,
        path: impl AsRef<Path>,
        config: StreamConfig,
        on_window: &mut dyn FnMut(WindowPrediction) -> std::result::Result<(), E>,
    ) -> std::result::Result<StreamEnd, E> {
        self.timeline_inner(path.as_ref(), config, on_window)
    }

    fn timeline_inner<E: From<RecognizeError>>(
        &self,
        path: &Path,
        config: StreamConfig,
        on_window: &mut dyn FnMut(WindowPrediction) -> std::result::Result<(), E>,
    ) -> std::result::Result<StreamEnd, E> {
        let fail = |e: RecognizeError| E::from(in_file(e, path));
        let features = |e: ser_features::FeatureError| E::from(RecognizeError::from(e));
        let mut reader = AudioReader::open(path).map_err(features)?;
        // The rate is known for certain once a packet is decoded; the first one is copied out
        // (a packet, a few thousand samples) so that the reader can be asked.
        let Some(first) = reader.next_chunk().map_err(features)?.map(<[f32]>::to_vec) else {
            // A reader ends without a chunk only by an error (an empty signal), given above.
            return Err(fail(RecognizeError::Empty("no audio".into())));
        };
        let rate = reader
            .sample_rate()
            .ok_or(ser_features::FeatureError::SampleRate { sample_rate: 0 })
            .map_err(features)?;
        let mut stream = self.stream(rate, config).map_err(fail)?;
        for w in stream.push(&first).map_err(fail)? {
            on_window(w)?;
        }
        while let Some(chunk) = reader.next_chunk().map_err(features)? {
            for w in stream.push(chunk).map_err(fail)? {
                on_window(w)?;
            }
        }
        stream.finish().map_err(fail)
    }
}
