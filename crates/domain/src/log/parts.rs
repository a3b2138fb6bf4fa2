//! Rebuilding an [`EventKind`] from the two parts the store keeps: its type name
//! and its payload.
//!
//! The kind is serde's adjacently tagged enum (`{"type": …, "payload": …}`). Feeding
//! it the tag first lets serde read the payload straight into the variant's type;
//! given the payload first, as a `Value` map sorted by key would, serde buffers it
//! into an intermediate tree and reads that again. Every event of every feed page
//! comes through here.

use serde::Deserialize as _;
use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess};

use super::EventKind;

/// Deserializes the kind named `type_name` (a known type) from `payload`.
pub(super) fn rebuild<'de, D: Deserializer<'de>>(
    type_name: &'static str,
    payload: D,
) -> Result<EventKind, D::Error> {
    EventKind::deserialize(MapAccessDeserializer::new(Parts {
        type_name,
        payload: Some(payload),
        next: Next::Type,
    }))
}

/// A two-entry map: `type`, then `payload`.
struct Parts<D> {
    type_name: &'static str,
    payload: Option<D>,
    next: Next,
}

#[derive(Clone, Copy)]
enum Next {
    Type,
    Payload,
    Done,
}

impl<'de, D: Deserializer<'de>> MapAccess<'de> for Parts<D> {
    type Error = D::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, D::Error> {
        let key = match self.next {
            Next::Type => "type",
            Next::Payload => "payload",
            Next::Done => return Ok(None),
        };
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, D::Error> {
        match self.next {
            Next::Type => {
                self.next = Next::Payload;
                seed.deserialize(BorrowedStrDeserializer::new(self.type_name))
            }
            Next::Payload => {
                self.next = Next::Done;
                let payload = self
                    .payload
                    .take()
                    .ok_or_else(|| D::Error::custom("the payload was read twice"))?;
                seed.deserialize(payload)
            }
            Next::Done => Err(D::Error::custom("an event has two parts")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(match self.next {
            Next::Type => 2,
            Next::Payload => 1,
            Next::Done => 0,
        })
    }
}
