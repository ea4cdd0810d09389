//! What a recognizer says about a piece of audio.

use serde::{Deserialize, Serialize};

/// The emotion of one piece of audio, with every class's probability.
///
/// Serialised (serde), the probabilities are an object in the model's class order:
///
/// ```
/// use ser_recognize::Prediction;
///
/// let p = Prediction::from_probabilities(&["anger".into(), "neutral".into()], &[0.25, 0.75]);
/// assert_eq!((p.emotion.as_str(), p.index, p.probability), ("neutral", 1, 0.75));
/// let json = serde_json::to_string(&p).unwrap();
/// assert_eq!(json, r#"{"emotion":"neutral","index":1,"probability":0.75,"probabilities":{"anger":0.25,"neutral":0.75}}"#);
/// assert_eq!(serde_json::from_str::<Prediction>(&json).unwrap(), p);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The most probable class's name.
    pub emotion: String,
    /// Its index in the model's classes.
    pub index: usize,
    /// Its probability.
    pub probability: f32,
    /// Every class with its probability, in the model's class order.
    #[serde(with = "ordered_map")]
    pub probabilities: Vec<(String, f32)>,
}

impl Prediction {
    /// The prediction of these class probabilities (the first of equal maxima wins, as
    /// `argmax` does everywhere in the workspace). `classes` and `probabilities` have the
    /// same length, at least 1.
    pub fn from_probabilities(classes: &[String], probabilities: &[f32]) -> Prediction {
        let index = ser_quant::argmax(probabilities.iter().copied());
        Prediction {
            emotion: classes.get(index).cloned().unwrap_or_default(),
            index,
            probability: probabilities.get(index).copied().unwrap_or(0.0),
            probabilities: classes
                .iter()
                .cloned()
                .zip(probabilities.iter().copied())
                .collect(),
        }
    }

    /// The probability of class `name`, if the model has it.
    pub fn probability_of(&self, name: &str) -> Option<f32> {
        self.probabilities
            .iter()
            .find(|(c, _)| c == name)
            .map(|&(_, p)| p)
    }
}

/// `Vec<(String, f32)>` as a JSON object whose keys keep their order.
mod ordered_map {
    use serde::de::{MapAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        pairs: &[(String, f32)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(pairs.len()))?;
        for (k, v) in pairs {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }

    struct Pairs;

    impl<'de> Visitor<'de> for Pairs {
        type Value = Vec<(String, f32)>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of class names to probabilities")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(pair) = map.next_entry::<String, f32>()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, f32)>, D::Error> {
        d.deserialize_map(Pairs)
    }
}
