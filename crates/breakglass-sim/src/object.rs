//! One directory object as the simulator keeps it: its Graph properties as compact JSON text,
//! parsed only when a handler reads or changes them.
//!
//! A tenant of 100,000 users holds 120,000 such objects; as `serde_json` maps, with the many
//! null and empty properties Graph returns, each took about 8 KB, as text well under 1 KB.
//! The id, which every lookup and listing order reads, is kept beside the text. The snapshot
//! and the change log hold the same JSON as when the properties were a map, so state folders
//! written before still load.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The kinds of directory object the simulator stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Kind {
    User,
    Group,
    Application,
    ServicePrincipal,
}

impl Kind {
    pub fn odata_type(self) -> &'static str {
        match self {
            Kind::User => "#microsoft.graph.user",
            Kind::Group => "#microsoft.graph.group",
            Kind::Application => "#microsoft.graph.application",
            Kind::ServicePrincipal => "#microsoft.graph.servicePrincipal",
        }
    }

    pub fn type_name(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Application => "application",
            Kind::ServicePrincipal => "servicePrincipal",
        }
    }

    pub fn collection(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Group => "groups",
            Kind::Application => "applications",
            Kind::ServicePrincipal => "servicePrincipals",
        }
    }

    pub fn from_type_name(name: &str) -> Option<Kind> {
        [
            Kind::User,
            Kind::Group,
            Kind::Application,
            Kind::ServicePrincipal,
        ]
        .into_iter()
        .find(|k| k.type_name() == name)
    }
}

/// Facts about an object that Graph never returns.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Private {
    /// SHA-256 of the user's password (users).
    pub password_sha256: Option<String>,
    /// keyId → SHA-256 of the secret text (applications and service principals).
    pub secret_sha256: BTreeMap<String, String>,
    /// keyId → base64 DER of the certificate (kept even though Graph hides `key`).
    pub certificates: BTreeMap<String, String>,
    pub owners: Vec<String>,
    pub members: Vec<String>,
    /// appRoleAssignment objects where this service principal is the principal.
    pub app_role_assignments: Vec<Value>,
    /// temporaryAccessPassAuthenticationMethod objects (users), with the pass hashed.
    pub temporary_access_passes: Vec<Value>,
    /// Other authentication methods a user has registered, as Graph lists them (seeded).
    pub registered_methods: Vec<Value>,
    /// Passkey creation challenges issued to administrators for this user and not yet used:
    /// `{"challenge": base64url, "expires": RFC 3339}`.
    pub passkey_challenges: Vec<Value>,
    /// federatedIdentityCredential objects (applications): a navigation, not a property, so
    /// Graph never shows them in the application itself.
    pub federated_identity_credentials: Vec<Value>,
    /// The seeded automation app whose secret is written to operator.env.
    pub operator: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct DirObject {
    pub kind: Kind,
    id: Box<str>,
    /// The Graph properties, a JSON object.
    data: Box<RawValue>,
    pub created_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    pub private: Private,
}

fn compact(data: &Map<String, Value>) -> Box<RawValue> {
    serde_json::value::to_raw_value(data).expect("a JSON object always serializes")
}

fn id_in(data: &Map<String, Value>) -> Box<str> {
    data.get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .into()
}

impl DirObject {
    pub fn new(
        kind: Kind,
        data: &Map<String, Value>,
        created_at: Timestamp,
        private: Private,
    ) -> DirObject {
        DirObject {
            kind,
            id: id_in(data),
            data: compact(data),
            created_at,
            deleted_at: None,
            private,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// All Graph properties, parsed: a copy, which changes nothing here.
    pub fn data(&self) -> Map<String, Value> {
        self.pick(None)
    }

    /// The properties as Graph returns them.
    pub fn to_value(&self) -> Value {
        Value::Object(self.data())
    }

    /// Only the properties named, parsed; reading the text past the others costs no
    /// allocation, so a scan of the directory for one or two properties stays cheap.
    pub fn properties(&self, names: &[&str]) -> Map<String, Value> {
        self.pick(Some(names))
    }

    fn pick(&self, names: Option<&[&str]>) -> Map<String, Value> {
        let mut found = Map::new();
        let mut reader = serde_json::Deserializer::from_str(self.data.get());
        // The stored text is valid JSON: the only error is the stop once all are found.
        let _ = Pick {
            names,
            found: &mut found,
        }
        .deserialize(&mut reader);
        found
    }

    /// One property, parsed.
    pub fn get(&self, property: &str) -> Option<Value> {
        self.properties(&[property]).remove(property)
    }

    /// A string property; borrowed from the stored text unless it holds escapes.
    pub fn str(&self, property: &str) -> Option<Cow<'_, str>> {
        let mut found = None;
        let mut reader = serde_json::Deserializer::from_str(self.data.get());
        let _ = reader.deserialize_map(FindStr {
            property,
            found: &mut found,
        });
        found
    }

    pub fn display_name(&self) -> Cow<'_, str> {
        self.str("displayName").unwrap_or_default()
    }

    /// Changes the properties through a parsed copy, stored again as text afterwards.
    pub fn update<R>(&mut self, change: impl FnOnce(&mut Map<String, Value>) -> R) -> R {
        let mut data = self.data();
        let result = change(&mut data);
        self.replace(&data);
        result
    }

    /// Replaces all the properties.
    pub fn replace(&mut self, data: &Map<String, Value>) {
        self.id = id_in(data);
        self.data = compact(data);
    }

    pub fn set(&mut self, property: &str, value: Value) {
        self.update(|data| {
            data.insert(property.to_string(), value);
        });
    }
}

/// Ends a read as soon as what it looks for is found: serde_json checks that an object is
/// read to its end, so stopping early has to be an error, which the caller ignores.
fn stop<E: de::Error>() -> E {
    E::custom("found")
}

/// Reads a JSON object's properties, all or only some, into `found`, skipping the rest
/// unparsed and stopping once every one named is found.
struct Pick<'n, 'f> {
    names: Option<&'n [&'n str]>,
    found: &'f mut Map<String, Value>,
}

impl<'de> DeserializeSeed<'de> for Pick<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            match self.names {
                None => {
                    self.found.insert(key.into_owned(), map.next_value()?);
                }
                Some(names) if names.contains(&&*key) => {
                    self.found.insert(key.into_owned(), map.next_value()?);
                    if self.found.len() == names.len() {
                        return Err(stop());
                    }
                }
                Some(_) => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A property name, borrowed from the text when it can be.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor).map(Key)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(text))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text.to_string()))
    }
}

/// Finds one property of an object and gives its value if it is a string.
struct FindStr<'p, 'f, 'de> {
    property: &'p str,
    found: &'f mut Option<Cow<'de, str>>,
}

impl<'de> Visitor<'de> for FindStr<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = map.next_key()? {
            if key == self.property {
                *self.found = map.next_value::<MaybeText>()?.0;
                return Err(stop());
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// A value kept only if it is a string.
struct MaybeText<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for MaybeText<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(MaybeTextVisitor)
            .map(MaybeText)
    }
}

struct MaybeTextVisitor;

impl<'de> Visitor<'de> for MaybeTextVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(text.to_string())))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// The saved shape, the same as when the properties were a map.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Saved<'a> {
    kind: Kind,
    data: &'a RawValue,
    created_at: Timestamp,
    deleted_at: Option<Timestamp>,
    private: &'a Private,
}

impl Serialize for DirObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Saved {
            kind: self.kind,
            data: &self.data,
            created_at: self.created_at,
            deleted_at: self.deleted_at,
            private: &self.private,
        }
        .serialize(serializer)
    }
}

/// The saved shape as read back, its properties as text (`Box<RawValue>`, from a snapshot)
/// or parsed (from a change record: serde buffers the records of an internally tagged enum,
/// and a `RawValue` cannot be read from that buffer).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Loaded<D> {
    kind: Kind,
    data: D,
    created_at: Timestamp,
    #[serde(default)]
    deleted_at: Option<Timestamp>,
    #[serde(default)]
    private: Private,
}

impl From<Loaded<Map<String, Value>>> for DirObject {
    fn from(loaded: Loaded<Map<String, Value>>) -> DirObject {
        DirObject {
            deleted_at: loaded.deleted_at,
            ..DirObject::new(loaded.kind, &loaded.data, loaded.created_at, loaded.private)
        }
    }
}

impl<'de> Deserialize<'de> for DirObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let loaded = Loaded::<Box<RawValue>>::deserialize(deserializer)?;
        if !loaded.data.get().trim_start().starts_with('{') {
            return Err(de::Error::invalid_type(
                de::Unexpected::Other("a JSON value other than an object"),
                &"the object's properties as a JSON object",
            ));
        }
        let mut object = DirObject {
            kind: loaded.kind,
            id: "".into(),
            data: loaded.data,
            created_at: loaded.created_at,
            deleted_at: loaded.deleted_at,
            private: loaded.private,
        };
        object.id = object.str("id").unwrap_or_default().into();
        Ok(object)
    }
}

/// Reads a directory object saved in a change record (see [`Loaded`]).
pub(crate) fn logged<'de, 'a, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'a, DirObject>>, D::Error> {
    let loaded = Option::<Loaded<Map<String, Value>>>::deserialize(deserializer)?;
    Ok(loaded.map(|loaded| Cow::Owned(DirObject::from(loaded))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Map<String, Value> {
        match json!({
            "id": "0b1c",
            "displayName": "Ada \"the first\" Lovelace",
            "mail": null,
            "appId": "a1",
            "tags": ["x", "y"],
            "api": {"oauth2PermissionScopes": [], "appId": "nested"},
            "accountEnabled": false
        }) {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn saves_the_same_json_as_a_map_of_properties_did() {
        let object = DirObject::new(
            Kind::User,
            &sample(),
            Timestamp::UNIX_EPOCH,
            Private::default(),
        );
        let saved = serde_json::to_value(&object).unwrap();
        let as_before = json!({
            "kind": "user",
            "data": sample(),
            "createdAt": Timestamp::UNIX_EPOCH,
            "deletedAt": null,
            "private": Private::default(),
        });
        assert_eq!(saved, as_before);
        let loaded: DirObject = serde_json::from_str(&as_before.to_string()).unwrap();
        assert_eq!(loaded.id(), "0b1c");
        assert_eq!(loaded.data(), sample());
        let text = serde_json::to_string(&object).unwrap();
        let again: DirObject = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&again).unwrap(), text);
    }

    #[test]
    fn reads_one_property_without_the_others() {
        let object = DirObject::new(
            Kind::Application,
            &sample(),
            Timestamp::UNIX_EPOCH,
            Private::default(),
        );
        assert_eq!(object.id(), "0b1c");
        assert!(matches!(object.str("appId"), Some(Cow::Borrowed("a1"))));
        assert_eq!(
            object.display_name(),
            "Ada \"the first\" Lovelace",
            "escaped text is unescaped"
        );
        assert_eq!(object.str("mail"), None);
        assert_eq!(object.str("tags"), None);
        assert_eq!(object.str("missing"), None);
        assert_eq!(object.get("accountEnabled"), Some(json!(false)));
        let found_early = object.properties(&["appId", "id"]);
        assert_eq!(
            Value::Object(found_early),
            json!({"id": "0b1c", "appId": "a1"})
        );
        let some = object.properties(&["tags", "missing", "mail"]);
        assert_eq!(
            Value::Object(some),
            json!({"tags": ["x", "y"], "mail": null})
        );
    }

    #[test]
    fn changes_go_through_a_parsed_copy() {
        let mut object = DirObject::new(
            Kind::User,
            &sample(),
            Timestamp::UNIX_EPOCH,
            Private::default(),
        );
        object.set("mail", json!("ada@example.com"));
        let count = object.update(|data| {
            data.remove("tags");
            data.len()
        });
        assert_eq!(count, 6);
        assert_eq!(object.str("mail").as_deref(), Some("ada@example.com"));
        assert_eq!(object.get("tags"), None);
        assert_eq!(object.id(), "0b1c");
    }
}
