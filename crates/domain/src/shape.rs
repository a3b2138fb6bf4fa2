//! How domain values describe their JSON form, so that an adapter can publish it
//! (the HTTP crate turns a [`Shape`] into an OpenAPI schema) while the domain knows
//! no schema library. Vocabularies and event payloads describe themselves through
//! their declaring macros; tests check each description against what serde writes.

use serde_json::{Value, json};

/// The JSON form of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    String,
    /// A UUID, as text.
    Uuid,
    Boolean,
    Integer,
    /// Any JSON value.
    Any,
    /// One of a closed set of strings: a vocabulary, named for reuse.
    Enum {
        name: &'static str,
        values: &'static [&'static str],
    },
    List(Box<Shape>),
    Object(Object),
}

/// A JSON object with named fields, named for reuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    pub name: &'static str,
    pub description: &'static str,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub description: &'static str,
    pub shape: Shape,
    /// Present in every value; an optional field is absent when unset, never `null`.
    pub required: bool,
}

/// A type that can say what its JSON looks like.
pub trait Described {
    /// Whether a field of this type is always present. `Option` and `Vec` fields
    /// are absent when unset or empty (their declarations skip them then).
    const REQUIRED: bool = true;

    fn shape() -> Shape;
}

impl Shape {
    /// A value of this shape, with every optional field present: what a test feeds
    /// the type's `Deserialize` to check the description against the code.
    #[must_use]
    pub fn example(&self) -> Value {
        match self {
            Self::String => json!("text"),
            Self::Uuid => json!("01a202a7-99f1-73cd-9858-4075c5ed4a74"),
            Self::Boolean => json!(true),
            Self::Integer => json!(1),
            Self::Any => json!({"any": ["json"]}),
            Self::Enum { values, .. } => json!(values.first().copied().unwrap_or_default()),
            Self::List(item) => json!([item.example()]),
            Self::Object(object) => Value::Object(
                object
                    .fields
                    .iter()
                    .map(|f| (f.name.to_owned(), f.shape.example()))
                    .collect(),
            ),
        }
    }
}

macro_rules! leaf {
    ($shape:ident: $($ty:ty),+) => {
        $(impl Described for $ty {
            fn shape() -> Shape {
                Shape::$shape
            }
        })+
    };
}

leaf!(String: String);
leaf!(Boolean: bool);
leaf!(Integer: i64, u32);
leaf!(Any: Value);

impl<T: Described> Described for Option<T> {
    const REQUIRED: bool = false;

    fn shape() -> Shape {
        T::shape()
    }
}

impl<T: Described> Described for Vec<T> {
    const REQUIRED: bool = false;

    fn shape() -> Shape {
        Shape::List(Box::new(T::shape()))
    }
}

/// Declares a struct whose JSON form is described field by field (see
/// [`Described`]): doc comments first, then a field's serde attributes. `Option`
/// and `Vec` fields must be skipped when unset or empty, as their shape says; a
/// test per payload checks that they are.
macro_rules! described_struct {
    (
        $(#[doc = $doc:literal])*
        #[derive($($derive:path),* $(,)?)]
        pub struct $name:ident as $schema:literal {
            $(
                $(#[doc = $field_doc:literal])*
                $(#[serde($($serde:tt)*)])?
                pub $field:ident: $ty:ty,
            )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive($($derive),*)]
        pub struct $name {
            $(
                $(#[doc = $field_doc])*
                $(#[serde($($serde)*)])?
                pub $field: $ty,
            )*
        }

        impl $crate::shape::Described for $name {
            fn shape() -> $crate::shape::Shape {
                $crate::shape::Shape::Object($crate::shape::Object {
                    name: $schema,
                    description: concat!($($doc, "\n"),*).trim_ascii(),
                    fields: vec![$(
                        $crate::shape::Field {
                            name: stringify!($field),
                            description: concat!($($field_doc, "\n"),*).trim_ascii(),
                            shape: <$ty as $crate::shape::Described>::shape(),
                            required: <$ty as $crate::shape::Described>::REQUIRED,
                        },
                    )*],
                })
            }
        }
    };
}
pub(crate) use described_struct;

#[cfg(test)]
mod tests {
    use super::{Described as _, Shape};

    #[test]
    fn options_and_lists_are_optional_and_everything_else_required() {
        const { assert!(!<Option<String>>::REQUIRED) };
        const { assert!(!<Vec<bool>>::REQUIRED) };
        const { assert!(<String>::REQUIRED) };
        assert_eq!(
            <Vec<Option<i64>>>::shape(),
            Shape::List(Box::new(Shape::Integer))
        );
    }
}
