"""退出登录: end the login on the server, forget it in this browser, and show the login form."""

import streamlit as st

from training_app.services import auth
from training_app.ui.components.common import get_app

auth.logout(get_app(), st.session_state.get("token"))
for key in list(st.session_state.keys()):
    del st.session_state[key]
st.session_state["_logged_out"] = True  # do not resume from the cookie while the browser deletes it
st.session_state["_clear_cookie"] = True
st.session_state["_bye"] = True
st.rerun()
