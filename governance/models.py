# Registry, audits, curation, toolchain, health and sponsorship arrive with their issues.
