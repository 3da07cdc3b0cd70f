package main
import (
 _ "gorm.io/gorm"
 _ "gorm.io/driver/mysql"
 _ "github.com/glebarez/sqlite"
 _ "github.com/redis/go-redis/v9"
 _ "github.com/alicebob/miniredis/v2"
 _ "go.yaml.in/yaml/v3"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/go-sql-driver/mysql"
 _ "github.com/6tail/lunar-go/HolidayUtil"
)
func main(){}
