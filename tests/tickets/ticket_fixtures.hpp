// Tickets in format v1, written by serialize_ticket before format v2 (git history: ticket.cpp
// up to issue #11) from real tokens of the dev provider; sessions stored then must still open.
#pragma once

#include <string_view>

namespace gatehouse::testing {

// A login at the dev provider (demo/idp, RS256): claims, id_token, a JWT access token for
// urn:gatehouse:demo-api, a refresh token.
constexpr std::string_view kV1DevLogin =
    R"v1({"v":1,"claims":{"sub":"alice","name":"Alice Example","preferred_username":"alice","email")v1"
    R"v1(:"alice@example.com","email_verified":true,"nonce":"FCg4gNUOMzm5YfCM7CWORA","sid":"xOdsLWb)v1"
    R"v1(nuJtETAjpKLwuV92qR4N7_yvUJ6anAjCILtY","aud":"gatehouse-demo","exp":1796127328,"iat":179612)v1"
    R"v1(3728,"iss":"http://127.0.0.1:42409"},"id_token":"eyJhbGciOiJSUzI1NiIsImtpZCI6ImIyNjk4ZTk2L)v1"
    R"v1(TYzZTMtNDkzNi1hZTQzLThjMjE3YzQxYjgxYiJ9.eyJzdWIiOiJhbGljZSIsIm5hbWUiOiJBbGljZSBFeGFtcGxlIi)v1"
    R"v1(wicHJlZmVycmVkX3VzZXJuYW1lIjoiYWxpY2UiLCJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIiwiZW1haWxfdmVy)v1"
    R"v1(aWZpZWQiOnRydWUsIm5vbmNlIjoiRkNnNGdOVU9Nem01WWZDTTdDV09SQSIsInNpZCI6InhPZHNMV2JudUp0RVRBan)v1"
    R"v1(BLTHd1VjkycVI0TjdfeXZVSjZhbkFqQ0lMdFkiLCJhdWQiOiJnYXRlaG91c2UtZGVtbyIsImV4cCI6MTc5NjEyNzMy)v1"
    R"v1(OCwiaWF0IjoxNzk2MTIzNzI4LCJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjQyNDA5In0.loQmiF6qOASKwinuDYrxgx)v1"
    R"v1(ZnUcNPlNhB_vqQ9rupjxoU6tvcC0_iqo0jOglLINsDvS3q2Hzp48uCX7QezbbKZiR_kzYKocxyMG_0HWmsergpcUT9)v1"
    R"v1(Q2ptHLNKM05oqhReYHkblcuCsHzoIq_fgRmiGU0Vv8FcO1YWxPLoqXI6pU6McveR9E_6do8eIFwgHYDzqT7hnREGCW)v1"
    R"v1(GOZIe5WObELh7ccsoR8wMyDzLZ-Ptzy6O56jlv47NrWj3ztdcPMQzz2wNtLuUGxuVDG4A3_f2WRgxt8GLGbrZDuzg7)v1"
    R"v1(vbuzSdsSbFjJUzfLIQdRrE_AufAhf-4Q7SGpW8AGfVdT_7e54g","access_token":"eyJhbGciOiJSUzI1NiIsIn)v1"
    R"v1(R5cCI6ImF0K2p3dCIsImtpZCI6ImIyNjk4ZTk2LTYzZTMtNDkzNi1hZTQzLThjMjE3YzQxYjgxYiJ9.eyJqdGkiOiJ)v1"
    R"v1(tMW5zT1dSeWJiSkt4dm9PVzFtU1BYQmRhcklseXd3ZUYyXzcxOGhaMlp3Iiwic3ViIjoiYWxpY2UiLCJpYXQiOjE3O)v1"
    R"v1(TYxMjM3MjgsImV4cCI6MTc5NjEyNDAyOCwic2NvcGUiOiJhcGkucmVhZCBhcGkud3JpdGUiLCJjbGllbnRfaWQiOiJ)v1"
    R"v1(nYXRlaG91c2UtZGVtbyIsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjE6NDI0MDkiLCJhdWQiOiJ1cm46Z2F0ZWhvdXNlO)v1"
    R"v1(mRlbW8tYXBpIn0.d6vgWP-0cpZ9kj8nSJQnB2BttROWSkLbvYt4buPuhC2FAopOz-r5qpWIQDnJMwjUZbew-XM1n2_)v1"
    R"v1(NdyH2rtzLYnbFu5KpJI265IBwuzw9fR4QDc88XIXux3RLviAVU1NB2pPwEgeYhF0roBCf9XNhdkzK6DTJ_0cohUU_D)v1"
    R"v1(vbR9xMVA5sa-L3q1wl7-0jEzJ4I-6MPuUS0vcuIPF3r47mL1mxvqGkyvJbWllRHbUUMedBHoWnLpYWmBpvNgOllaTa)v1"
    R"v1(Z_c_XhGXamjMIoQZrfdNOUbXrMGdulh0q0tQiir8BUboF7ML9Ww83kpZHDA5i0RP2YqZD4iIJBfQS-nQyYuLdog",")v1"
    R"v1(refresh_token":"5KmpFYcTFNvmPYmXCNXajUiia9FQQIK2_lHJtug8wWz","access_token_expires_at":179)v1"
    R"v1(6124028})v1";

// The same session after its first /api call: a resource token and the rotated refresh token.
constexpr std::string_view kV1DevLoginAfterApiCall =
    R"v1({"v":1,"claims":{"sub":"alice","name":"Alice Example","preferred_username":"alice","email")v1"
    R"v1(:"alice@example.com","email_verified":true,"nonce":"FCg4gNUOMzm5YfCM7CWORA","sid":"xOdsLWb)v1"
    R"v1(nuJtETAjpKLwuV92qR4N7_yvUJ6anAjCILtY","aud":"gatehouse-demo","exp":1796127328,"iat":179612)v1"
    R"v1(3728,"iss":"http://127.0.0.1:42409"},"id_token":"eyJhbGciOiJSUzI1NiIsImtpZCI6ImIyNjk4ZTk2L)v1"
    R"v1(TYzZTMtNDkzNi1hZTQzLThjMjE3YzQxYjgxYiJ9.eyJzdWIiOiJhbGljZSIsIm5hbWUiOiJBbGljZSBFeGFtcGxlIi)v1"
    R"v1(wicHJlZmVycmVkX3VzZXJuYW1lIjoiYWxpY2UiLCJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIiwiZW1haWxfdmVy)v1"
    R"v1(aWZpZWQiOnRydWUsIm5vbmNlIjoiRkNnNGdOVU9Nem01WWZDTTdDV09SQSIsInNpZCI6InhPZHNMV2JudUp0RVRBan)v1"
    R"v1(BLTHd1VjkycVI0TjdfeXZVSjZhbkFqQ0lMdFkiLCJhdWQiOiJnYXRlaG91c2UtZGVtbyIsImV4cCI6MTc5NjEyNzMy)v1"
    R"v1(OCwiaWF0IjoxNzk2MTIzNzI4LCJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjQyNDA5In0.loQmiF6qOASKwinuDYrxgx)v1"
    R"v1(ZnUcNPlNhB_vqQ9rupjxoU6tvcC0_iqo0jOglLINsDvS3q2Hzp48uCX7QezbbKZiR_kzYKocxyMG_0HWmsergpcUT9)v1"
    R"v1(Q2ptHLNKM05oqhReYHkblcuCsHzoIq_fgRmiGU0Vv8FcO1YWxPLoqXI6pU6McveR9E_6do8eIFwgHYDzqT7hnREGCW)v1"
    R"v1(GOZIe5WObELh7ccsoR8wMyDzLZ-Ptzy6O56jlv47NrWj3ztdcPMQzz2wNtLuUGxuVDG4A3_f2WRgxt8GLGbrZDuzg7)v1"
    R"v1(vbuzSdsSbFjJUzfLIQdRrE_AufAhf-4Q7SGpW8AGfVdT_7e54g","access_token":"eyJhbGciOiJSUzI1NiIsIn)v1"
    R"v1(R5cCI6ImF0K2p3dCIsImtpZCI6ImIyNjk4ZTk2LTYzZTMtNDkzNi1hZTQzLThjMjE3YzQxYjgxYiJ9.eyJqdGkiOiJ)v1"
    R"v1(tMW5zT1dSeWJiSkt4dm9PVzFtU1BYQmRhcklseXd3ZUYyXzcxOGhaMlp3Iiwic3ViIjoiYWxpY2UiLCJpYXQiOjE3O)v1"
    R"v1(TYxMjM3MjgsImV4cCI6MTc5NjEyNDAyOCwic2NvcGUiOiJhcGkucmVhZCBhcGkud3JpdGUiLCJjbGllbnRfaWQiOiJ)v1"
    R"v1(nYXRlaG91c2UtZGVtbyIsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjE6NDI0MDkiLCJhdWQiOiJ1cm46Z2F0ZWhvdXNlO)v1"
    R"v1(mRlbW8tYXBpIn0.d6vgWP-0cpZ9kj8nSJQnB2BttROWSkLbvYt4buPuhC2FAopOz-r5qpWIQDnJMwjUZbew-XM1n2_)v1"
    R"v1(NdyH2rtzLYnbFu5KpJI265IBwuzw9fR4QDc88XIXux3RLviAVU1NB2pPwEgeYhF0roBCf9XNhdkzK6DTJ_0cohUU_D)v1"
    R"v1(vbR9xMVA5sa-L3q1wl7-0jEzJ4I-6MPuUS0vcuIPF3r47mL1mxvqGkyvJbWllRHbUUMedBHoWnLpYWmBpvNgOllaTa)v1"
    R"v1(Z_c_XhGXamjMIoQZrfdNOUbXrMGdulh0q0tQiir8BUboF7ML9Ww83kpZHDA5i0RP2YqZD4iIJBfQS-nQyYuLdog",")v1"
    R"v1(refresh_token":"GQJz5IRuZ2vdcIKCFZFlBvJJqcnAeUjSmtb2C2GghXd","access_token_expires_at":179)v1"
    R"v1(6124028,"resources":[{"resource":"urn:gatehouse:demo-api","access_token":"eyJhbGciOiJSUzI1)v1"
    R"v1(NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImIyNjk4ZTk2LTYzZTMtNDkzNi1hZTQzLThjMjE3YzQxYjgxYiJ9.eyJqd)v1"
    R"v1(GkiOiJSaHlZaUtiemxweVR1S3BJZ0MxYm1WelRiN0lTMmZ6RDMzUWVLLV85X3VSIiwic3ViIjoiYWxpY2UiLCJpYXQ)v1"
    R"v1(iOjE3OTYxMjM3MjgsImV4cCI6MTc5NjEyNDAyOCwic2NvcGUiOiJhcGkucmVhZCBhcGkud3JpdGUiLCJjbGllbnRfa)v1"
    R"v1(WQiOiJnYXRlaG91c2UtZGVtbyIsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjE6NDI0MDkiLCJhdWQiOiJ1cm46Z2F0ZWh)v1"
    R"v1(vdXNlOmRlbW8tYXBpIn0.YW9JAl6LY3hn3vXqHbcvrLf3xolG4ETRSqzbnTIhAfbu8BM267NJ9NbYz0kEgTjjcHfgm)v1"
    R"v1(WfagdAqquwY1DhiEE4gr6xlx2ISWqECkutnOULop89U-qVykKp1vkJJ5M_T_lnUPO-JoBo0zV8U6J4ep0hDFqUfL6_)v1"
    R"v1(oFknvhuXPvzltsfkSLtJ0YrIw4JIxetCOp0hrXouh6lDYm22akzW8lvdfRkpGGi7o6QpLD2kx666Yj8anDtH8qcVDO)v1"
    R"v1(XAlNOAx9wKBy9LA0GgXL3DU1y0B0giGoiGzl0QtHL1Nl54UeidSdoM_oRBVCi28XQ4Qm45_zaCwW4m6iyOmRrY5nmh)v1"
    R"v1(npA","access_token_expires_at":1796124028}]})v1";

// Hand-made: DPoP, resources with and without an expiry, opaque tokens.
constexpr std::string_view kV1DpopResources =
    R"v1({"v":1,"claims":{"sub":"alice","name":"Alice Example","amr":["pwd","mfa"]},"id_token":"id-)v1"
    R"v1(token-alice","access_token":"access-token-secret-alice","refresh_token":"refresh-token-sec)v1"
    R"v1(ret-alice","token_type":"DPoP","resources":[{"resource":"urn:orders","access_token":"order)v1"
    R"v1(s-token","token_type":"DPoP","access_token_expires_at":1900000000},{"resource":"urn:invoic)v1"
    R"v1(es","access_token":"invoices-token"}]})v1";

}  // namespace gatehouse::testing
