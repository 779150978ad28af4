"""The runbook's two recovery-time objectives, by the names measurements and evidence carry."""

APPLICATION_RTO = "application RTO"
DATA_RTO = "data RTO"
RTO_NAMES = (APPLICATION_RTO, DATA_RTO)
