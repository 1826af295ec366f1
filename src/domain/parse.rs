//! The error returned when a string is not a known category.

use std::fmt;

/// A string that is not one of a category's spellings.
///
/// The data layer turns this into a located [`Error::UnknownCategory`](crate::Error) naming the
/// file, line and column.
///
/// # Examples
///
/// ```
/// use pain_outcomes::domain::Condition;
/// let e = "knee".parse::<Condition>().unwrap_err();
/// assert_eq!(e.kind, "condition");
/// assert!(e.expected.contains("knee_oa"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Category kind (`therapy`, `condition`, …).
    pub kind: &'static str,
    /// The value that did not parse.
    pub value: String,
    /// The accepted spellings, comma separated.
    pub expected: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}`; expected one of: {}",
            self.kind, self.value, self.expected
        )
    }
}

impl std::error::Error for ParseError {}

/// Declares a fieldless enum with canonical snake_case spellings, `FromStr` (case-insensitive,
/// surrounding whitespace ignored), `Display`, `ALL`, `as_str` and serde as the canonical string.
macro_rules! category {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical spelling used in files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The accepted canonical spellings, comma separated (for error messages).
            pub fn expected() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($text) $(|| t.eq_ignore_ascii_case($alias))* {
                        return Ok($name::$variant);
                    }
                )+
                Err($crate::domain::ParseError {
                    kind: $kind,
                    value: s.to_string(),
                    expected: Self::expected(),
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use category;
