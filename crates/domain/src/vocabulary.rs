//! Closed sets of names (statuses, priorities, kinds), each declared once with
//! [`vocabulary!`]: its variants and their wire names. Parsing, printing, serde,
//! stored columns and the API's enums all derive from that one declaration.

use crate::{Error, Result};

/// What every vocabulary offers; the HTTP crate builds its enums from it.
pub trait Vocabulary: Copy + Eq + Send + Sync + 'static {
    /// The vocabulary's name in API schemas, e.g. `TaskStatus`.
    const NAME: &'static str;
    /// The input that names a value of it, for errors, e.g. `status`.
    const FIELD: &'static str;
    const ALL: &'static [Self];
    /// The wire names, in the order of [`Vocabulary::ALL`].
    const NAMES: &'static [&'static str];

    fn as_str(self) -> &'static str;

    /// # Errors
    /// `Validation` naming [`Vocabulary::FIELD`] for any other name.
    fn parse(raw: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == raw)
            .ok_or_else(|| {
                Error::validation(
                    Self::FIELD,
                    format!("{raw:?} is not one of {}", Self::NAMES.join(", ")),
                )
            })
    }
}

/// Serializes a vocabulary value as its wire name.
///
/// # Errors
/// Whatever the serializer reports.
pub fn serialize<T: Vocabulary, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(value.as_str())
}

/// Deserializes a vocabulary value from its wire name.
///
/// # Errors
/// A custom error saying which names are allowed.
pub fn deserialize<'de, T: Vocabulary, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<T, D::Error> {
    struct Names<T>(std::marker::PhantomData<T>);

    impl<T: Vocabulary> serde::de::Visitor<'_> for Names<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "one of {}", T::NAMES.join(", "))
        }

        fn visit_str<E: serde::de::Error>(self, raw: &str) -> std::result::Result<T, E> {
            T::parse(raw).map_err(|_| E::invalid_value(serde::de::Unexpected::Str(raw), &self))
        }
    }

    deserializer.deserialize_str(Names(std::marker::PhantomData))
}

/// Declares a vocabulary: `pub enum Name("field") { Variant = "wire_name", … }`,
/// with the field that names it in errors. Other attributes (docs, extra derives,
/// `#[default]`) pass through.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident($field:literal) {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $wire:literal
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }

            /// # Errors
            /// `Validation` naming the field for any other name.
            pub fn parse(raw: &str) -> $crate::Result<Self> {
                <Self as $crate::vocabulary::Vocabulary>::parse(raw)
            }
        }

        impl $crate::vocabulary::Vocabulary for $name {
            const NAME: &'static str = stringify!($name);
            const FIELD: &'static str = $field;
            const ALL: &'static [Self] = Self::ALL;
            const NAMES: &'static [&'static str] = &[$($wire),+];

            fn as_str(self) -> &'static str {
                Self::as_str(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::vocabulary::serialize(self, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::vocabulary::deserialize(d)
            }
        }

        impl $crate::shape::Described for $name {
            fn shape() -> $crate::shape::Shape {
                $crate::shape::Shape::Enum {
                    name: stringify!($name),
                    values: <Self as $crate::vocabulary::Vocabulary>::NAMES,
                }
            }
        }
    };
}
pub(crate) use vocabulary;

#[cfg(test)]
mod tests {
    use super::Vocabulary as _;
    use crate::shape::{Described as _, Shape};

    vocabulary! {
        /// A test vocabulary.
        pub enum Colour("colour") {
            Red = "red",
            DeepBlue = "deep_blue",
        }
    }

    #[test]
    fn every_value_round_trips_through_its_name_and_serde() {
        for colour in Colour::ALL {
            assert_eq!(Colour::parse(colour.as_str()).unwrap(), *colour);
            let json = serde_json::to_string(colour).unwrap();
            assert_eq!(json, format!("\"{colour}\""));
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), *colour);
        }
        assert_eq!(Colour::NAMES, ["red", "deep_blue"]);
    }

    #[test]
    fn an_unknown_name_is_refused_naming_the_field_and_the_choices() {
        let err = Colour::parse("green").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid colour: \"green\" is not one of red, deep_blue"
        );
        assert!(serde_json::from_str::<Colour>("\"green\"").is_err());
    }

    #[test]
    fn the_shape_is_a_named_enum_of_the_wire_names() {
        assert_eq!(
            Colour::shape(),
            Shape::Enum {
                name: "Colour",
                values: &["red", "deep_blue"]
            }
        );
    }
}
