package dev.stepwise.engine.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class SecretsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void fieldsNamedLikeSecretsMustBeReferencesButTokenCountsAreNot() {
        String value = """
                {"api_key": "k", "apiKey": "k", "token": "t", "access_token": "t", "authToken": "t", "tokenValue": "t",
                 "client_secret": "s", "password": "p", "credentials": "c",
                 "max_tokens": 1024, "input_tokens": 3, "maxTokens": 5, "model": "claude", "key": {"secret": "env:K"},
                 "nested": {"session_token": "t", "usage": {"output_tokens": 9}}}""";
        assertEquals(List.of("$.api_key", "$.apiKey", "$.token", "$.access_token", "$.authToken", "$.tokenValue",
                "$.client_secret", "$.password", "$.credentials", "$.nested.session_token"),
                Secrets.literalSecrets(JSON.readTree(value)));
    }
}
