package domain

// ActorNamePattern is what a new actor name must match: a lowercase ASCII
// letter, then up to 63 lowercase letters, digits, '.', '_' or '-'. One
// spelling per person (no "IVY" beside "ivy"), nothing invisible (no bidi
// or zero-width characters) and nothing a terminal would act on.
const ActorNamePattern = `^[a-z][a-z0-9._-]{0,63}$`

var actorName = lazyRE(ActorNamePattern)

// ValidActorName reports whether name matches ActorNamePattern.
func ValidActorName(name string) bool { return actorName.MatchString(name) }

// checkNewActorName refuses a name that is being introduced to the ledger
// (the first admin at init, a grantee, a signer's holder) unless it matches
// ActorNamePattern. Names already stored are never refused for reading:
// only where a name first enters the ledger is it checked.
func checkNewActorName(role, name string) error {
	if ValidActorName(name) {
		return nil
	}
	return refuse("actor-name",
		`choose a name of lowercase ASCII letters, digits, ".", "_" or "-" that starts with a letter, at most 64 characters (e.g. "ivy" or "ivy.chen")`,
		"the %s name %q does not match %s", role, name, ActorNamePattern)
}
