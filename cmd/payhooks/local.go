package main

import (
	"os"
	"strconv"
)

// Local defaults, overridable by environment variables (documented in the README).
func envPort(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if p, err := strconv.Atoi(v); err == nil {
			return p
		}
	}
	return def
}

func dynamoPort() int  { return envPort("PAYHOOKS_DYNAMODB_PORT", 8000) }
func motoPort() int    { return envPort("PAYHOOKS_MOTO_PORT", 5000) }
func gatewayPort() int { return envPort("PAYHOOKS_PORT", 3000) }
func axpayPort() int   { return envPort("PAYHOOKS_AXPAY_PORT", 4010) }

func dynamoEndpoint() string { return "http://127.0.0.1:" + strconv.Itoa(dynamoPort()) }
func motoEndpoint() string   { return "http://127.0.0.1:" + strconv.Itoa(motoPort()) }
func gatewayURL() string     { return "http://127.0.0.1:" + strconv.Itoa(gatewayPort()) }

const (
	localTable       = "payhooks-events"
	localQueue       = "payhooks-events.fifo"
	localSecretsFile = "dev/secrets.json"
)
