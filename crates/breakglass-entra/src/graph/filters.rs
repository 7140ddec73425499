//! The queries breakglass asks Graph, named by what they find, so that Graph's property
//! names stay in this crate. Each is a [`Query`] that callers may extend (`top`, `count`).

use super::query::{Query, odata_string};

/// What a temporary administrator is judged by: its names, its lease marker (in
/// `employeeType`), its alias note (`companyName`) and its dates.
const TEMPORARY_USER_PROPERTIES: [&str; 7] = [
    "id",
    "userPrincipalName",
    "displayName",
    "employeeType",
    "companyName",
    "createdDateTime",
    "deletedDateTime",
];

impl Query {
    /// Live users whose `employeeType` starts with `marker_prefix` (temporary
    /// administrators' leases), with their lease properties, in pages of 999.
    pub fn temporary_users(marker_prefix: &str) -> Query {
        Query::new()
            .filter(format!(
                "startswith(employeeType,{})",
                odata_string(marker_prefix)
            ))
            .select(TEMPORARY_USER_PROPERTIES)
            .top(999)
    }

    /// Users with their lease properties and no filter: deleted items filter on few
    /// properties, so the caller picks the temporary administrators itself.
    pub fn temporary_user_properties() -> Query {
        Query::new().select(TEMPORARY_USER_PROPERTIES)
    }

    /// Users whose `employeeType` is `value` (how emergency users are marked), with the
    /// properties an emergency user is judged by; `$count` because Graph asks for it
    /// (advanced query) on this filter.
    pub fn users_marked(value: &str) -> Query {
        Query::new()
            .filter(format!("employeeType eq {}", odata_string(value)))
            .select([
                "id",
                "userPrincipalName",
                "accountEnabled",
                "createdDateTime",
                "employeeType",
                "onPremisesSyncEnabled",
            ])
            .count()
    }

    /// Objects whose `mailNickname` is `value` (a group, or a temporary administrator's
    /// alias).
    pub fn mail_nickname_is(value: &str) -> Query {
        Query::new().filter(format!("mailNickname eq {}", odata_string(value)))
    }

    /// The user named `upn`, with only what tells whether it is an emergency user.
    pub fn user_named(upn: &str) -> Query {
        Query::new()
            .filter(format!("userPrincipalName eq {}", odata_string(upn)))
            .select(["id", "employeeType"])
    }

    /// Applications carrying `tag` in their `tags`.
    pub fn applications_tagged(tag: &str) -> Query {
        Query::new().filter(format!("tags/any(t:t eq {})", odata_string(tag)))
    }

    /// Role assignments of one principal.
    pub fn assignments_of(principal_id: &str) -> Query {
        Query::new().filter(format!("principalId eq {}", odata_string(principal_id)))
    }

    /// Sign-ins of one user.
    pub fn sign_ins_of(user_id: &str) -> Query {
        Query::new().filter(format!("userId eq {}", odata_string(user_id)))
    }

    /// Sign-ins of one user since `since` (an ISO 8601 UTC time).
    pub fn sign_ins_of_since(user_id: &str, since: &str) -> Query {
        Query::new().filter(format!(
            "userId eq {} and createdDateTime ge {since}",
            odata_string(user_id)
        ))
    }

    /// Directory audits since `since` (an ISO 8601 UTC time).
    pub fn audits_since(since: &str) -> Query {
        Query::new().filter(format!("activityDateTime ge {since}"))
    }

    /// Only the objects' ids.
    pub fn ids() -> Query {
        Query::new().select(["id"])
    }

    /// The ids with the names a person knows objects by.
    pub fn ids_and_names() -> Query {
        Query::new().select(["id", "displayName", "userPrincipalName"])
    }

    /// Users whose `mailNickname` is `alias`, with their ids and user principal names.
    pub fn users_with_alias(alias: &str) -> Query {
        Query::mail_nickname_is(alias).select(["id", "userPrincipalName"])
    }

    /// Role definitions with their names and templates.
    pub fn role_names() -> Query {
        Query::new().select(["id", "displayName", "templateId"])
    }

    /// A user's last sign-in (`signInActivity`, Entra ID P1).
    pub fn sign_in_activity() -> Query {
        Query::new().select(["id", "signInActivity"])
    }
}

/// The `$filter` of the emergency app's service principal sign-ins since `since`, for the
/// beta sign-in log (which takes the filter as text).
pub fn app_sign_ins_since(app_id: &str, since: &str) -> String {
    format!(
        "appId eq {} and createdDateTime ge {since}",
        odata_string(app_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_queries_quote_their_values() {
        assert_eq!(
            Query::mail_nickname_is("O'Brien"),
            Query::new().filter("mailNickname eq 'O''Brien'")
        );
        assert_eq!(
            app_sign_ins_since("a'b", "2026-12-04T00:00:00Z"),
            "appId eq 'a''b' and createdDateTime ge 2026-12-04T00:00:00Z"
        );
    }
}
