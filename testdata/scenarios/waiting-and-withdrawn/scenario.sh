#!/usr/bin/env bash
# Clocks never vanish: one incident whose clocks wait for a fact, and whose
# obligations are withdrawn by later facts, recorded through the CLI into a
# fresh ledger. A cloud provider (processor for its tenants, controller of
# its own records) and a HIPAA covered entity finds a patient-portal export
# bucket readable without authentication:
#
#   - GDPR Art. 33 runs while no jurisdiction is recorded, and is withdrawn
#     when the scope shows only California (waived, "trigger withdrawn by");
#   - HIPAA and California count from the discovery of the breach: until
#     "determine discovery" is recorded they are "facts needed", with no
#     status, and the profile and affected writers say so;
#   - contoso is taken out of scope after the declaration: its customer
#     notice is waived, "trigger withdrawn by" the scope that removed it;
#     fabrikam's is met;
#   - a recount moves the 620 people from California to Nevada: California's
#     clock and the HIPAA media notice there are withdrawn, Nevada's media
#     notice starts.
#
# Usage: BL="breachledger --ledger ./ledger.db" bash scenario.sh
# It prints the incident ID on its last line.
set -euo pipefail
: "${BL:?set BL to the breachledger command, e.g. BL=\"bin/breachledger --ledger demo.db\"}"
as() { local who=$1; shift; $BL --actor "$who" "$@"; }
quiet() { local who=$1; shift; $BL --actor "$who" "$@" --quiet; }

KEYS="${XDG_CONFIG_HOME:-$HOME/.config}/breachledger/signers"
keys() { for who in "$@"; do [ -e "$KEYS/$who" ] || $BL signer keygen "$who" >/dev/null; done; }
register_keys() { local at=$1; shift; for who in "$@"; do as alice signer register "$who" "$KEYS/$who.pub" --at "$at"; done; }

keys alice oscar sam ivy ian lee eve
as alice init --name "Northwind Health Cloud IR" --at 2026-03-01T09:00:00Z
# Recorded from the case file long after: facts may be dated far back, and
# a notice dated before its due time but recorded after it says why.
LATE="recorded from the 2026 case file"
as alice setting backdate-window 36500d --at 2026-03-01T09:00:00Z --reason "the case file is recorded long after it happened" >/dev/null
as alice grant oscar responder --at 2026-03-01T09:01:00Z
as alice grant sam security-response --at 2026-03-01T09:02:00Z
as alice grant ivy security-incident-manager --at 2026-03-01T09:03:00Z
as alice grant ian incident-manager --at 2026-03-01T09:04:00Z
as alice grant lee legal --at 2026-03-01T09:05:00Z
as alice grant eve executive-incident-manager --at 2026-03-01T09:06:00Z
register_keys 2026-03-01T09:07:00Z oscar sam ivy ian lee eve

INC=$(quiet oscar detect --source customer-report --reference CASE-5521 \
  --summary "Patient-portal export bucket of two tenants readable without authentication" \
  --aware-at 2026-03-02T08:00:00Z --role both --at 2026-03-02T07:30:00Z)
as oscar assess "$INC" --functional-impact low --recoverability regular --information-impact privacy-breach \
  --escalated --at 2026-03-02T08:30:00Z
as sam stage "$INC" diagnose --reason "access logs pulled" --at 2026-03-02T09:00:00Z
as sam classify "$INC" privacy-breach --reason "exports hold patients' names and appointment notes" --at 2026-03-02T09:30:00Z
# The only jurisdiction is California: GDPR Art. 33, running while none was
# recorded, is withdrawn.
as sam scope "$INC" --customer contoso --customer fabrikam --subject-category patients --subjects 620 \
  --jurisdiction US-CA --at 2026-03-02T10:00:00Z
# A HIPAA covered entity: its clocks wait for the discovery determination.
as ivy profile "$INC" --establishment US --entity-type hipaa-covered-entity --at 2026-03-02T10:30:00Z
as sam affected "$INC" --count US-CA=620 --at 2026-03-02T11:00:00Z
as ivy declare "$INC" --basis evidence --reasoning "bucket listing shows both tenants' exports" --at 2026-03-02T12:00:00Z
# contoso's exports were never in the bucket: out of scope.
as sam scope "$INC" --remove-customer contoso --at 2026-03-03T09:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to security-contacts --customer fabrikam --recipient secops@fabrikam.example \
  --channel email --at 2026-03-04T10:00:00Z
as ivy determine "$INC" discovery --reasoning "privacy office confirmed the breach of unsecured PHI" --at 2026-03-06T09:00:00Z
# A recount: the 620 patients live in Nevada, not California.
as sam affected "$INC" --remove US-CA --count US-NV=620 --at 2026-03-09T09:00:00Z

echo "$INC"
