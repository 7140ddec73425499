//! The directory objects with the indexes Entra answers lookups from: by the properties
//! breakglass filters on (`appId`, `userPrincipalName`, `displayName`, `mailNickname`,
//! `employeeType`, case-insensitive, for `eq`, `in` and `startswith`). A lookup in a tenant of 100,000 users reads the few objects
//! that can match instead of every one.
//!
//! An object taken with `get_mut` may change in any way, so its entries leave the index then
//! and come back, from its new value, at the next lookup.

use std::collections::BTreeSet;
use std::ops::Deref;
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::object::{DirObject, Kind};
use crate::tracked::TrackedMap;

/// The indexed properties; an entry names one by its position here.
pub(crate) const INDEXED: [&str; 5] = [
    "appId",
    "userPrincipalName",
    "displayName",
    "mailNickname",
    "employeeType",
];

type Entry = (Kind, u8, Box<str>, Box<str>);

#[derive(Clone, Debug, Default)]
struct Index {
    /// (kind, property, lower-case value, object id) of every live object.
    entries: BTreeSet<Entry>,
    /// Objects handed out with `get_mut`, to index again from their new value.
    stale: BTreeSet<String>,
}

fn entries_of(id: &str, object: &DirObject) -> impl Iterator<Item = Entry> {
    let kind = object.kind;
    // One read of the object's text for all the indexed properties.
    let values = object.properties(&INDEXED);
    INDEXED
        .iter()
        .enumerate()
        .filter_map(move |(at, property)| {
            let value = values.get(*property)?.as_str()?;
            Some((kind, at as u8, value.to_ascii_lowercase().into(), id.into()))
        })
}

impl Index {
    fn add(&mut self, id: &str, object: &DirObject) {
        if object.deleted_at.is_some() {
            return;
        }
        self.entries.extend(entries_of(id, object));
    }

    fn drop_object(&mut self, id: &str, object: &DirObject) {
        if object.deleted_at.is_some() {
            return;
        }
        for entry in entries_of(id, object) {
            self.entries.remove(&entry);
        }
    }
}

/// The tenant's directory objects by id, tracked for saving and indexed.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    map: TrackedMap<DirObject>,
    index: Mutex<Index>,
}

fn index_of(cell: &mut Mutex<Index>) -> &mut Index {
    cell.get_mut().unwrap_or_else(|p| p.into_inner())
}

impl Objects {
    pub fn insert(&mut self, id: String, object: DirObject) -> Option<DirObject> {
        let index = index_of(&mut self.index);
        if let Some(old) = self.map.get(&id)
            && !index.stale.contains(&id)
        {
            index.drop_object(&id, old);
        }
        index.stale.remove(&id);
        index.add(&id, &object);
        self.map.insert(id, object)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut DirObject> {
        let index = index_of(&mut self.index);
        if let Some(old) = self.map.get(id)
            && index.stale.insert(id.to_string())
        {
            index.drop_object(id, old);
        }
        self.map.get_mut(id)
    }

    pub fn remove(&mut self, id: &str) -> Option<DirObject> {
        let index = index_of(&mut self.index);
        if let Some(old) = self.map.get(id)
            && !index.stale.remove(id)
        {
            index.drop_object(id, old);
        }
        self.map.remove(id)
    }

    /// Replays one saved change; not itself noted as a change.
    pub fn restore(&mut self, id: String, value: Option<DirObject>) {
        let index = index_of(&mut self.index);
        if let Some(old) = self.map.get(&id)
            && !index.stale.remove(&id)
        {
            index.drop_object(&id, old);
        }
        if let Some(object) = &value {
            index.add(&id, object);
        }
        self.map.restore(id, value);
    }

    pub fn forget_changes(&mut self) {
        self.map.forget_changes();
    }

    fn fresh(&self) -> MutexGuard<'_, Index> {
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        for id in std::mem::take(&mut index.stale) {
            if let Some(object) = self.map.get(&id) {
                index.add(&id, object);
            }
        }
        index
    }

    /// Live objects of `kind` whose `property` (one of [`INDEXED`]) equals `value`, ignoring
    /// case (or, with `prefix`, starts with it).
    pub fn lookup(&self, kind: Kind, property: &str, value: &str, prefix: bool) -> Vec<&DirObject> {
        let Some(at) = INDEXED.iter().position(|p| *p == property) else {
            return Vec::new();
        };
        let at = at as u8;
        let value = value.to_ascii_lowercase();
        let start: Entry = (kind, at, value.as_str().into(), "".into());
        let index = self.fresh();
        index
            .entries
            .range(start..)
            .take_while(|(k, p, v, _)| {
                *k == kind
                    && *p == at
                    && if prefix {
                        v.starts_with(&value)
                    } else {
                        **v == *value
                    }
            })
            .filter_map(|(_, _, _, id)| self.map.get(&**id))
            .collect()
    }
}

impl Deref for Objects {
    type Target = TrackedMap<DirObject>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl Clone for Objects {
    fn clone(&self) -> Self {
        let index = self.index.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Objects {
            map: self.map.clone(),
            index: Mutex::new(index),
        }
    }
}

impl Serialize for Objects {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Objects {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = TrackedMap::<DirObject>::deserialize(deserializer)?;
        let mut index = Index::default();
        for (id, object) in map.iter() {
            index.add(id, object);
        }
        Ok(Objects {
            map,
            index: Mutex::new(index),
        })
    }
}
