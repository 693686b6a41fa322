#!/usr/bin/env bash
# A complete personal-data breach, recorded through the CLI into a fresh
# ledger: detect → assess → diagnose → classify privacy breach → scope →
# risk → declare → approvals → notify → post-mortem → close.
#
# Usage: BL="breachledger --ledger ./ledger.db" bash scenario.sh
# It prints the incident ID on its last line. Every time is given with --at,
# so the history (not the recorded times) is the same on every run.
#
# Cast: alice (admin), oscar (on-call responder), sam (security response),
# ivy (security incident manager), ian (incident manager), lee (legal),
# eve (executive incident manager).
set -euo pipefail
: "${BL:?set BL to the breachledger command, e.g. BL=\"bin/breachledger --ledger demo.db\"}"
as() { local who=$1; shift; $BL --actor "$who" "$@"; }
quiet() { local who=$1; shift; $BL --actor "$who" "$@" --quiet; }

# Everyone signs what they record with their own SSH key (README: Who
# signs). Each person's key is in their key directory, where "--actor NAME"
# finds it: made here with "breachledger signer keygen NAME" unless it is
# there already. init registers alice's key (she is the first admin); she
# registers everyone else's public key.
KEYS="${XDG_CONFIG_HOME:-$HOME/.config}/breachledger/signers"
keys() { for who in "$@"; do [ -e "$KEYS/$who" ] || $BL signer keygen "$who" >/dev/null; done; }
register_keys() { local at=$1; shift; for who in "$@"; do as alice signer register "$who" "$KEYS/$who.pub" --at "$at"; done; }

keys alice oscar sam ivy ian lee eve
as alice init --name "Contoso Cloud IR" --at 2025-03-01T09:00:00Z
# This history happened in 2025 and is recorded now, as a team importing
# an old case file would: the admin widens the backdate-window (default
# 24h) so facts may be dated long before they are recorded. A notice
# dated before its due time but recorded after it still needs
# --late-entry-reason, whatever the window.
LATE="recorded from the 2025 case file"
as alice setting backdate-window 36500d --at 2025-03-01T09:00:00Z --reason "the case file is recorded long after it happened" >/dev/null
as alice grant oscar responder --at 2025-03-01T09:01:00Z
as alice grant sam security-response --at 2025-03-01T09:02:00Z
as alice grant ivy security-incident-manager --at 2025-03-01T09:03:00Z
as alice grant ian incident-manager --at 2025-03-01T09:04:00Z
as alice grant lee legal --at 2025-03-01T09:05:00Z
as alice grant eve executive-incident-manager --at 2025-03-01T09:06:00Z
register_keys 2025-03-01T09:07:00Z oscar sam ivy ian lee eve

# Detect: the on-call responder opens the incident. Awareness is first put at
# 23:30; a correction below moves it earlier, to 22:15.
INC=$(quiet oscar detect --source automated-alert --reference ALERT-88121 \
  --summary "Anomalous bulk read of tenant blobs on storage cluster eu-3" \
  --aware-at 2025-03-07T23:30:00Z --role both --at 2025-03-07T21:40:00Z)
DETECTION=$(as oscar log --incident "$INC" --json | sed -n 's/.*"event_id": "\([^"]*\)".*/\1/p' | head -1)

# Assess (moves Detect → Assess) and escalate to the security response team.
as oscar assess "$INC" --functional-impact medium --recoverability extended \
  --information-impact privacy-breach --escalated --at 2025-03-07T22:30:00Z
as sam stage "$INC" diagnose --reason "forensic investigation started" --at 2025-03-08T01:00:00Z
as sam contain "$INC" --description "revoked the leaked SAS token; quarantined nodes eu-3-07..09" \
  --system eu-3-07 --system eu-3-08 --system eu-3-09 --at 2025-03-08T01:30:00Z
as sam evidence "$INC" --description "storage access logs 2025-03-07" \
  --sha256 5f0c3a1d2e4b6a8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e \
  --location "s3://ir-evidence/2025-017/access-logs.tar.gz" --at 2025-03-08T02:00:00Z

# Customer data leaves production only with the incident manager's approval.
as sam request "$INC" data-transfer --destination "forensics lab FL-2" \
  --details "disk image of eu-3-07 for offline analysis" --at 2025-03-08T03:00:00Z
as ian approve "$INC" R1 --comment "approved; image encrypted in transit and at rest" --at 2025-03-08T03:20:00Z

as sam classify "$INC" privacy-breach --reason "end-user contact data of two tenants was read with a stolen token" --at 2025-03-08T09:00:00Z
as sam scope "$INC" --customer contoso --customer fabrikam \
  --data-category "contact details" --data-category "support tickets" \
  --subject-category "customer end users" --subjects 1200 --records 5400 \
  --jurisdiction DE --jurisdiction FR --at 2025-03-08T12:00:00Z
as ivy risk "$INC" high --reasoning "unencrypted contact data and ticket contents of 1,200 people; phishing risk" --at 2025-03-08T15:00:00Z
as ivy declare "$INC" --basis evidence --reasoning "access logs show reads of both tenants' blobs with the stolen token" --at 2025-03-09T10:00:00Z

# The SOC ticket shows the alert was acknowledged at 22:15: awareness moves earlier.
as oscar correct "$INC" "$DETECTION" --aware-at 2025-03-07T22:15:00Z \
  --reason "SOC ticket ALERT-88121 shows the alert was acknowledged at 22:15" --at 2025-03-09T11:00:00Z

as sam stage "$INC" stabilize --reason "token revoked, exfiltration path closed" --at 2025-03-10T08:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to supervisory-authority --recipient "CNIL (lead supervisory authority)" --channel portal \
  --art33 nature,contact,consequences,measures --reference CNIL-2025-0310-77 --at 2025-03-10T20:00:00Z

# A delay for fabrikam is asked for: legal approves, the executive incident
# manager rejects, so it never holds the clock.
as ivy request "$INC" notification-delay --reason risk-to-other-customers --customer fabrikam \
  --until 2025-03-12T20:00:00Z --details "notice may tip off the actor still probing fabrikam's tenant" --at 2025-03-11T09:00:00Z
as lee approve "$INC" R2 --comment "tipping-off risk is plausible" --at 2025-03-11T10:00:00Z
as eve reject "$INC" R2 --reason "the actor is locked out; no tipping-off risk remains" --at 2025-03-11T12:00:00Z

as ian notify --late-entry-reason "$LATE" "$INC" --to data-subjects --recipient "1,200 end users, through both tenants" --channel email --at 2025-03-11T14:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to security-contacts --customer contoso --recipient secops@contoso.example --channel email \
  --delay-reason "contact verification with contoso's account team took longer than planned" --at 2025-03-12T11:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to subscription-admins --customer fabrikam --no-security-contact --recipient admins@fabrikam.example \
  --channel email --delay-reason "fabrikam had no security contact; admin addresses had to be confirmed" --at 2025-03-12T13:30:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to supervisory-authority --phase supplementary --recipient "CNIL (lead supervisory authority)" --channel portal \
  --summary "final scope: 1,200 subjects, 5,400 records" --at 2025-03-13T10:00:00Z
as sam contain "$INC" --kind recovery --description "rebuilt nodes eu-3-07..09 from clean images" --at 2025-03-13T09:00:00Z
as ian note "$INC" "bridge call with both customers on 2025-03-13; minutes in DMS IR-2025-017" --at 2025-03-13T16:00:00Z
as ian postmortem "$INC" --summary "token leaked through CI logs; logs scrubbed, tokens now short-lived" \
  --location "dms://ir/2025-017/postmortem.pdf" \
  --sha256 9a3e6f1c2b4d5e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f --at 2025-03-20T10:00:00Z
as ian close "$INC" --summary "contained; authority, customers and data subjects notified" --at 2025-03-21T10:00:00Z

echo "$INC"
