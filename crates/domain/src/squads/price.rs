//! A squad's price per execution: an exact decimal of at most 4 integer and 6
//! fractional digits (the column is `DECIMAL(10, 6)`), never a float. It travels
//! as a decimal string and is held as a count of millionths.

use serde::{Deserialize, Serialize};

use crate::shape::{Described, Shape};
use crate::{Error, Result};

/// A non-negative amount with six decimal places, as millionths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(i64);

impl Price {
    /// Fractional digits kept.
    pub const SCALE: u32 = 6;
    /// The largest price `DECIMAL(10, 6)` holds: 9999.999999.
    pub const MAX: Self = Self(9_999_999_999);
    const UNIT: i64 = 1_000_000;

    #[must_use]
    pub const fn from_millionths(millionths: i64) -> Self {
        Self(millionths)
    }

    #[must_use]
    pub const fn millionths(self) -> i64 {
        self.0
    }

    /// Parses `12`, `0.5` or `12.345678`: digits, at most one point, at most six
    /// fractional digits, no sign, no exponent, at most 9999.999999.
    ///
    /// # Errors
    /// `Validation` on `field` saying what is wrong.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let invalid = |why: &str| Error::validation(field, format!("{why} (e.g. \"0.25\")"));
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        if raw.starts_with('-') {
            return Err(invalid("must not be negative"));
        }
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || (raw.contains('.') && fraction.is_empty())
        {
            return Err(invalid(
                "must be a decimal number written with digits and at most one point",
            ));
        }
        if fraction.len() > Self::SCALE as usize {
            return Err(invalid("must have at most 6 decimal places"));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() > 4 {
            return Err(invalid("must be at most 9999.999999"));
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| invalid("must be a decimal number"))?
        };
        let mut millionths: i64 = 0;
        for (i, digit) in fraction.bytes().enumerate() {
            millionths += i64::from(digit - b'0')
                * 10_i64.pow(Self::SCALE - 1 - u32::try_from(i).unwrap_or(0));
        }
        Ok(Self(whole * Self::UNIT + millionths))
    }
}

impl std::fmt::Display for Price {
    /// Always six places, as the column prints it: `12.500000`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:06}", self.0 / Self::UNIT, self.0 % Self::UNIT)
    }
}

impl Serialize for Price {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse("price_per_execution", &raw).map_err(serde::de::Error::custom)
    }
}

impl Described for Price {
    fn shape() -> Shape {
        Shape::String
    }
}

#[cfg(test)]
mod tests {
    use super::Price;

    #[test]
    fn decimals_round_trip_exactly() {
        for (raw, printed) in [
            ("0", "0.000000"),
            ("12", "12.000000"),
            ("0.1", "0.100000"),
            ("0.000001", "0.000001"),
            ("9999.999999", "9999.999999"),
            ("0012.50", "12.500000"),
        ] {
            let price = Price::parse("p", raw).unwrap();
            assert_eq!(price.to_string(), printed);
            assert_eq!(Price::parse("p", printed).unwrap(), price);
        }
        assert_eq!(Price::parse("p", "9999.999999").unwrap(), Price::MAX);
    }

    #[test]
    fn anything_else_is_refused_by_field() {
        for raw in [
            "",
            ".",
            "1.",
            ".5",
            "-1",
            "-0.5",
            "1.0000001",
            "10000",
            "1e3",
            "1,5",
            " 1",
            "+1",
            "0x10",
            "NaN",
            "1.2.3",
            "١",
        ] {
            let err = Price::parse("price_per_execution", raw).unwrap_err();
            assert!(
                err.to_string().contains("price_per_execution"),
                "{raw}: {err}"
            );
        }
    }
}
