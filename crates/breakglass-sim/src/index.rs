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

/// The indexed properties (a collection of strings, like `tags`, by each of its strings); an
/// entry names one by its position here.
pub(crate) const INDEXED: [&str; 6] = [
    "appId",
    "userPrincipalName",
    "displayName",
    "mailNickname",
    "employeeType",
    "tags",
];

/// Not a property: the app role assignments service principals hold, by resource, so that a
/// resource's `appRoleAssignedTo` reads its own grants instead of every object, as Entra keeps
/// that navigation with the resource.
const GRANTED_RESOURCE_AT: u8 = INDEXED.len() as u8;

/// One app role assignment found through the index: its holder and its place in the holder's
/// `appRoleAssignments`.
#[derive(Clone, Debug)]
pub(crate) struct GrantKey {
    holder: Box<str>,
    at: usize,
}

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
    let properties: Vec<Entry> = INDEXED
        .iter()
        .enumerate()
        .flat_map(|(at, property)| {
            let strings: Vec<&str> = match values.get(*property) {
                Some(serde_json::Value::String(value)) => vec![value.as_str()],
                Some(serde_json::Value::Array(values)) => values
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .collect(),
                _ => Vec::new(),
            };
            strings
                .into_iter()
                .map(move |value| (kind, at as u8, value.to_ascii_lowercase().into(), id.into()))
        })
        .collect();
    // One entry per grant, "{holder id}/{position}", so a page of a resource's grants is read
    // from the index alone and only its own grants are looked up.
    let granted = object
        .private
        .app_role_assignments
        .iter()
        .enumerate()
        .filter_map(|(at, grant)| Some((at, grant.get("resourceId")?.as_str()?)))
        .map(move |(at, resource)| {
            let resource: Box<str> = resource.to_ascii_lowercase().into();
            (
                kind,
                GRANTED_RESOURCE_AT,
                resource,
                format!("{id}/{at}").into(),
            )
        });
    properties.into_iter().chain(granted)
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

    /// The app role assignments live service principals hold for `resource_id`, in the order
    /// of their holders' ids; [`Objects::grant`] reads each.
    pub fn grants_for(&self, resource_id: &str) -> Vec<GrantKey> {
        let resource = resource_id.to_ascii_lowercase();
        let start: Entry = (
            Kind::ServicePrincipal,
            GRANTED_RESOURCE_AT,
            resource.as_str().into(),
            "".into(),
        );
        let index = self.fresh();
        index
            .entries
            .range(start..)
            .take_while(|(k, p, v, _)| {
                *k == Kind::ServicePrincipal && *p == GRANTED_RESOURCE_AT && **v == *resource
            })
            .filter_map(|(_, _, _, key)| {
                let (holder, at) = key.rsplit_once('/')?;
                Some(GrantKey {
                    holder: holder.into(),
                    at: at.parse().ok()?,
                })
            })
            .collect()
    }

    pub fn grant(&self, key: &GrantKey) -> Option<&serde_json::Value> {
        self.map
            .get(&*key.holder)?
            .private
            .app_role_assignments
            .get(key.at)
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
