"""The roles a leader can hold (SPEC §2): plain data, light enough for DAG parse time."""

# The posts of every unit (党委书记, 政府主要负责人, 安委办主任); ``sync_units`` creates them.
POST_ROLES = ("party_secretary", "government_head", "safety_office_director")
# Every role a leader can hold: the unit posts and a department's head (部门主要负责人).
ROLES = (*POST_ROLES, "department_head")
