//! Which teams a report covers: one team, one program's teams, or every team.

/// Which teams a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    pub team: Option<String>,
    pub program: Option<String>,
}

impl Scope {
    /// One team.
    pub fn team(team: &str) -> Scope {
        Scope {
            team: Some(team.to_string()),
            program: None,
        }
    }

    pub fn team_ref(&self) -> Option<&str> {
        self.team.as_deref()
    }

    pub fn program_ref(&self) -> Option<&str> {
        self.program.as_deref()
    }
}
