SELECT
  `t18`.`__p` AS `period`,
  CAST(`t18`.`__n0` AS DOUBLE) / IF(CAST(`t18`.`__n1` AS DOUBLE) = 0, NULL, CAST(`t18`.`__n1` AS DOUBLE)) AS `revenue_per_order`
FROM (
  SELECT
    `t17`.`__p`,
    COALESCE(`t17`.`__n0`, 0) AS `__n0`,
    COALESCE(`t17`.`__n1`, 0) AS `__n1`
  FROM (
    SELECT
      `t16`.`__p`,
      MAX(`t16`.`__in`) AS `__in`,
      MAX(`t16`.`__n0`) AS `__n0`,
      MAX(`t16`.`__n1`) AS `__n1`
    FROM (
      SELECT
        *
      FROM (
        SELECT
          CAST(CAST(`t9`.`__p` AS DATETIME) AS DATE) AS `__p`,
          NULL AS `__in`,
          NULL AS `__n0`,
          `t9`.`__n1`
        FROM (
          SELECT
            `t6`.`__p`,
            COUNT(*) AS `__n1`
          FROM (
            SELECT
              `t1`.`order_date` AS `__d_order_date`,
              `t1`.`order_date` AS `__t`,
              DATE_FORMAT(`t1`.`order_date`, '%Y-%m-01') AS `__p`
            FROM `onpace_it_orders` AS `t1`
            WHERE
              `t1`.`order_date` <= DATE('2024-06-30')
              AND `t1`.`order_date` >= DATE('2024-01-01')
          ) AS `t6`
          GROUP BY
            1
        ) AS `t9`
      ) AS `t11`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          *
        FROM (
          SELECT
            `t0`.`__p`,
            1 AS `__in`,
            NULL AS `__n0`,
            NULL AS `__n1`
          FROM `onpace_periods_4b71f0b1481d` AS `t0`
        ) AS `t3`
        UNION ALL
        SELECT
          *
        FROM (
          SELECT
            CAST(CAST(`t13`.`__p` AS DATETIME) AS DATE) AS `__p`,
            NULL AS `__in`,
            `t13`.`__n0`,
            NULL AS `__n1`
          FROM (
            SELECT
              `t12`.`__p`,
              SUM(`t12`.`qty` * `t12`.`price` * (
                1 - `t12`.`discount`
              )) AS `__n0`
            FROM (
              SELECT
                `t10`.`qty`,
                `t10`.`price`,
                `t10`.`discount`,
                `t10`.`__k0`,
                `t10`.`__j0`,
                `t10`.`__d_order_date`,
                `t10`.`__d_order_date` AS `__t`,
                DATE_FORMAT(`t10`.`__d_order_date`, '%Y-%m-01') AS `__p`
              FROM (
                SELECT
                  `t8`.`qty`,
                  `t8`.`price`,
                  `t8`.`discount`,
                  `t8`.`__k0`,
                  `t7`.`__j0`,
                  `t7`.`__d_order_date`
                FROM (
                  SELECT
                    `t2`.`qty`,
                    `t2`.`price`,
                    `t2`.`discount`,
                    `t2`.`order_id` AS `__k0`
                  FROM `onpace_it_order_lines` AS `t2`
                ) AS `t8`
                LEFT OUTER JOIN (
                  SELECT
                    `t1`.`id` AS `__j0`,
                    `t1`.`order_date` AS `__d_order_date`
                  FROM `onpace_it_orders` AS `t1`
                ) AS `t7`
                  ON `t8`.`__k0` = `t7`.`__j0`
              ) AS `t10`
              WHERE
                `t10`.`__d_order_date` <= DATE('2024-06-30')
                AND `t10`.`__d_order_date` >= DATE('2024-01-01')
            ) AS `t12`
            GROUP BY
              1
          ) AS `t13`
        ) AS `t14`
      ) AS `t15`
    ) AS `t16`
    GROUP BY
      1
  ) AS `t17`
  WHERE
    `t17`.`__in` IS NOT NULL
) AS `t18`
WHERE
  `t18`.`__p` >= DATE('2024-01-01')
