"""Reports for people: the monthly bulletin and exports."""
