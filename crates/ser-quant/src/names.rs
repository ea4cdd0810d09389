//! One spelling per option: an option enum's names, its `Display` and `FromStr`, and (with the
//! `serde` feature) its serde form, all from one table ([`named_options!`](crate::named_options)).

use alloc::string::String;

/// A name that is none of an option's ([`named_options!`](crate::named_options)'s `FromStr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// The option, as its error says it (`scales`, `order`).
    pub option: &'static str,
    /// What was given.
    pub got: String,
    /// The names it takes.
    pub expected: &'static [&'static str],
}

impl core::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "unknown {} `{}`: expected ", self.option, self.got)?;
        for (i, name) in self.expected.iter().enumerate() {
            let sep = match i {
                0 => "",
                i if i + 1 == self.expected.len() => " or ",
                _ => ", ",
            };
            write!(f, "{sep}{name}")?;
        }
        Ok(())
    }
}

impl core::error::Error for UnknownName {}

/// An option enum whose every spelling comes from one table: `NAMES`, `name()`, `Display`,
/// `FromStr` (errors are [`UnknownName`]) and, when ser-quant's `serde` feature is on,
/// `Serialize`/`Deserialize` as the same strings. The CLI lists `NAMES` as its possible values,
/// the Python binding and `results.json` read them through serde.
///
/// ```
/// ser_quant::named_options! {
///     /// How fast.
///     #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
///     pub enum Pace as "pace" {
///         /// Slowly.
///         #[default]
///         Slow = "slow",
///         /// Quickly.
///         Fast = "fast",
///     }
/// }
/// assert_eq!(Pace::NAMES, &["slow", "fast"]);
/// assert_eq!(Pace::Fast.to_string(), "fast");
/// assert_eq!("slow".parse::<Pace>()?, Pace::Slow);
/// assert_eq!("run".parse::<Pace>().unwrap_err().to_string(), "unknown pace `run`: expected slow or fast");
/// # Ok::<(), ser_quant::UnknownName>(())
/// ```
#[macro_export]
macro_rules! named_options {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $option:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every name, in the order of the variants.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// This value's name, as `Display`, `FromStr` and serde spell it.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::UnknownName;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::UnknownName {
                        option: $option,
                        got: s.into(),
                        expected: Self::NAMES,
                    }),
                }
            }
        }

        $crate::__serde_by_name!($name);
    };
}

/// Serde by the option's names (ser-quant's `serde` feature on).
#[cfg(feature = "serde")]
#[doc(hidden)]
#[macro_export]
macro_rules! __serde_by_name {
    ($name:ident) => {
        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.name())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                let text: $crate::__private::String =
                    $crate::__private::serde::Deserialize::deserialize(deserializer)?;
                text.parse()
                    .map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
    };
}

/// Nothing: ser-quant's `serde` feature is off.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __serde_by_name {
    ($name:ident) => {};
}

/// What the macros' expansions name, so that users need no serde of their own.
#[doc(hidden)]
pub mod __private {
    pub use alloc::string::String;
    #[cfg(feature = "serde")]
    pub use serde;
}
