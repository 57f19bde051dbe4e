from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import oidc, views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign-out"),
    path("two-factor/", views.TwoFactorView.as_view(), name="two-factor"),
    path("two-factor/setup/", views.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("two-factor/setup/send-link/", views.send_setup_link, name="two-factor-send-link"),
    path("two-factor/link/<str:token>/", views.open_setup_link, name="two-factor-link"),
    path("two-factor/recovery-codes/", views.RecoveryCodesView.as_view(), name="two-factor-recovery-codes"),
    path("recovery-codes/new/", views.RenewRecoveryCodesView.as_view(), name="recovery-codes-renew"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/unlock/", views.unlock, name="unlock"),
    path("password/change/", views.ChangePasswordView.as_view(), name="password-change"),
    path("password/reset/", views.ResetPasswordView.as_view(), name="password-reset"),
    path("password/reset/sent/", views.ResetPasswordSentView.as_view(), name="password-reset-sent"),
    path("password/reset/<uidb64>/<token>/", views.NewPasswordView.as_view(), name="password-reset-confirm"),
    path("password/reset/done/", views.NewPasswordDoneView.as_view(), name="password-reset-complete"),
]
if settings.OIDC_ENABLED:
    # Single sign-on exists only where it is set up: elsewhere these addresses are not found.
    urlpatterns += [
        path("sign-in/organisation/", oidc.StartView.as_view(), name="sso-start"),
        path("sign-in/organisation/callback/", oidc.CallbackView.as_view(), name="sso-callback"),
    ]
