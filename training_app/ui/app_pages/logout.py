"""退出登录."""

import streamlit as st

from training_app.services import auth
from training_app.ui.components.common import get_app

auth.logout(get_app(), st.session_state.get("token"))
for key in list(st.session_state.keys()):
    del st.session_state[key]
st.rerun()
