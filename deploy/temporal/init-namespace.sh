#!/bin/sh
# One-shot job (temporalio/admin-tools), run once the temporal server is up:
# creates the Fil rouge namespace and registers the custom search attributes
# the workflows set. The worker and the API start only after it succeeded.
# Safe to run on every `up`: existing namespace and attributes are left alone.
#
# Expects: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_NAMESPACE_RETENTION.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-720h}"

# name:type, as used by the workflows.
SEARCH_ATTRIBUTES="
FilrougeStage:Keyword
FilrougePlatform:Keyword
FilrougeReferent:Keyword
FilrougeDeadline:Datetime
"

# retry ATTEMPTS COMMAND... : run COMMAND until it succeeds, 2 s apart.
retry() {
    attempts=$1
    shift
    i=1
    until "$@"; do
        if [ "$i" -ge "$attempts" ]; then
            echo "Giving up after ${attempts} attempts: $*" >&2
            return 1
        fi
        i=$((i + 1))
        sleep 2
    done
}

ns_exists() {
    temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1
}

attribute_registered() {
    temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" 2>/dev/null \
        | grep -qw "$1"
}

# Success is judged by the listing, not by the create call: a create that
# timed out may still have gone through, and a repeat then reports "exists".
register_attribute() {
    temporal operator search-attribute create --address "$ADDRESS" \
        --namespace "$NAMESPACE" --name "$1" --type "$2" || true
    attribute_registered "$1"
}

echo "Waiting for the Temporal frontend at ${ADDRESS}..."
retry 90 temporal operator cluster health --address "$ADDRESS"

if ns_exists; then
    echo "Namespace ${NAMESPACE} already exists."
else
    echo "Creating namespace ${NAMESPACE} (retention ${RETENTION})..."
    temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" \
        --retention "$RETENTION" --description "Fil rouge pathways" || true
fi
# A new namespace takes a few seconds to reach every frontend cache (and a
# failed create shows up here, after its error message above).
retry 30 ns_exists

for pair in $SEARCH_ATTRIBUTES; do
    name=${pair%%:*}
    type=${pair#*:}
    if attribute_registered "$name"; then
        echo "Search attribute ${name} already registered."
        continue
    fi
    echo "Registering search attribute ${name} (${type})..."
    retry 15 register_attribute "$name" "$type"
done

echo "Namespace ${NAMESPACE} is ready:"
temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE"
