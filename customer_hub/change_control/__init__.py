"""Change control: a schema change in a tool opens one Asana ticket, closed when the change is resolved, and a
weekly integration-patch digest lists the changes still open with their age and owner."""
